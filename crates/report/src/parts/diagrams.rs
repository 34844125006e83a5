//! Neural circuit diagrams: every zoo model drawn, with its cost and its text description.

use crate::html::{Figure, escape, table};
use crate::{PartContext, PartError, Section};
use nc_diagram_draw::DrawOptions;

pub(super) fn run(ctx: &mut PartContext<'_>) -> Result<Section, PartError> {
    let mut html = String::from(
        "<p>Each architecture is written once in the typed circuit language; the checker, the executor, \
         backprop, the cost model and these drawings all come from that one description. Wires are axes, \
         boxes span exactly the axes they act on and are broadcast over the rest.</p>\n",
    );
    let names = nc_diagram::zoo::names();
    let mut rows = Vec::new();
    for (i, name) in names.iter().enumerate() {
        (ctx.progress)(i as f64 / names.len() as f64, name);
        let circuit = nc_diagram::zoo::get(name).ok_or_else(|| format!("zoo model {name} is missing"))?;
        let svg = nc_diagram_draw::draw_circuit(&circuit, &DrawOptions::default());
        let file = format!("{name}.svg");
        nc_core::output::write_atomic(&ctx.dir.join(&file), svg.as_bytes())?;
        let text = serde_json::to_string_pretty(&circuit)?;
        let desc = format!("{name}.json");
        nc_core::output::write_atomic(&ctx.dir.join(&desc), text.as_bytes())?;
        let cost = nc_diagram::cost::cost(&circuit);
        rows.push(vec![
            name.to_string(),
            cost.total.params.to_string(),
            cost.total.flops_fwd.to_string(),
            cost.total.saved.to_string(),
        ]);
        let about = nc_diagram::zoo::MODELS.iter().find(|m| m.0 == *name).map_or("", |m| m.1);
        html.push_str(
            &Figure {
                src: format!("diagrams/{file}"),
                alt: format!("Neural circuit diagram of {name}: {about}."),
                caption: format!("{name}: {about}."),
            }
            .html()
            .replace("</figcaption>", &format!(" <a href=\"diagrams/{}\">Text description</a>.</figcaption>", escape(&desc))),
        );
    }
    html.push_str("<p>Cost of each model as formulas in its axis sizes (parameters, forward FLOPs, elements stored for training):</p>\n");
    html.push_str(&table(&["model", "parameters", "forward FLOPs", "stored elements"], &rows));
    Ok(Section { html })
}
