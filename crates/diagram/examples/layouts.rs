//! Prints each zoo model's input, output and parameter layouts (axis names, in storage order):
//! `cargo run -p nc-diagram --example layouts mha`. The PyTorch reference script follows them.
#![allow(clippy::print_stdout)]
fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "mha".into());
    let c = nc_diagram::zoo::get(&name).expect("unknown zoo model");
    let names = |axes: &[nc_diagram::ir::AxisId]| {
        axes.iter()
            .map(|a| c.axis_label(*a))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for v in &c.inputs {
        println!(
            "input  {:<28} [{}]",
            c.value(*v).name,
            names(&c.value(*v).ty.axes)
        );
    }
    for v in &c.outputs {
        println!(
            "output {:<28} [{}]",
            c.value(*v).name,
            names(&c.value(*v).ty.axes)
        );
    }
    for p in &c.params {
        println!("param  {:<28} [{}]", p.name, names(&p.axes));
    }
}
