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
    let mut formulas = Vec::new();
    for (i, name) in names.iter().enumerate() {
        (ctx.progress)(i as f64 / names.len() as f64, name);
        let circuit =
            nc_diagram::zoo::get(name).ok_or_else(|| format!("zoo model {name} is missing"))?;
        let svg = nc_diagram_draw::draw_circuit(&circuit, &DrawOptions::default());
        let file = format!("{name}.svg");
        nc_core::output::write_atomic(&ctx.dir.join(&file), svg.as_bytes())?;
        // the circuit in the hand-writable text format, linked and shown folded under its figure
        let text = nc_diagram::parse::text::save(&circuit);
        let desc = format!("{name}.ncd");
        nc_core::output::write_atomic(&ctx.dir.join(&desc), text.as_bytes())?;
        let bindings = circuit.default_bindings();
        let cost = nc_diagram::cost::summarize(&circuit, &bindings, 4)?;
        let sizes: Vec<String> = bindings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        rows.push(vec![
            name.to_string(),
            sizes.join(" "),
            cost.params.to_string(),
            format!("{:.3e}", cost.flops_forward as f64),
            format!("{:.3e}", cost.flops_backward as f64),
            format!("{:.2}", cost.saved_activation_bytes as f64 / 1_048_576.0),
            format!(
                "{:.2}",
                cost.memory.peak_training_bytes as f64 / 1_048_576.0
            ),
        ]);
        formulas.push(vec![
            name.to_string(),
            cost.formulas.get("params").cloned().unwrap_or_default(),
            cost.formulas
                .get("flops_forward")
                .cloned()
                .unwrap_or_default(),
        ]);
        let about = nc_diagram::zoo::MODELS
            .iter()
            .find(|m| m.0 == *name)
            .map_or("", |m| m.1);
        html.push_str(
            &Figure {
                src: format!("diagrams/{file}"),
                alt: format!("Neural circuit diagram of {name}: {about}."),
                caption: format!("{name}: {about}."),
            }
            .html()
            .replace(
                "</figcaption>",
                &format!(
                    "</figcaption><details><summary>The circuit as text (<a href=\"diagrams/{}\">{}</a>)</summary><pre>{}</pre></details>",
                    escape(&desc),
                    escape(&desc),
                    escape(&text)
                ),
            ),
        );
    }
    html.push_str("<p>Cost of each model at its default sizes (f32; FLOPs count multiply-adds as 2, as PyTorch's FlopCounterMode does):</p>\n");
    html.push_str(&table(
        &[
            "model",
            "sizes",
            "parameters",
            "forward FLOPs",
            "backward FLOPs",
            "stored activations (MiB)",
            "peak training memory (MiB)",
        ],
        &rows,
    ));
    html.push_str("<details><summary>The same costs as formulas in the axis sizes</summary>\n");
    html.push_str(&table(&["model", "parameters", "forward FLOPs"], &formulas));
    html.push_str("</details>\n");
    Ok(Section { html })
}
