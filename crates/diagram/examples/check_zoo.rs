//! Prints the checker report of a zoo model: `cargo run -p nc-diagram --example check_zoo resnet`.
#![allow(clippy::print_stdout)]
fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "resnet".into());
    let c = nc_diagram::zoo::get(&name).expect("unknown zoo model");
    println!(
        "{}",
        nc_diagram::check::check(&c, &c.default_bindings()).render()
    );
}
