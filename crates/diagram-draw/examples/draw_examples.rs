//! Writes every hand-built example as SVG into the folder given as the first argument.

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/diagram-examples".into());
    std::fs::create_dir_all(&dir)?;
    for (name, d) in nc_diagram_draw::examples::all() {
        let svg = nc_diagram_draw::render_svg(&d, &nc_diagram_draw::LayoutOptions::default());
        std::fs::write(format!("{dir}/{name}.svg"), svg)?;
    }
    Ok(())
}
