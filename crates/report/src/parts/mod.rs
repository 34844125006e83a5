//! The report's parts: each runs its experiments into its own folder and returns a section.

mod diagrams;
mod ncap;
mod richlazy;

use crate::html::{escape, table};
use crate::{Part, PartContext, PartError, PartOutcome, ReportOptions, Section};
use std::fmt::Write;

pub(crate) fn run(part: Part, ctx: &mut PartContext<'_>) -> Result<Section, PartError> {
    match part {
        Part::Ncap => ncap::run(ctx),
        Part::Diagrams => diagrams::run(ctx),
        Part::Richlazy => richlazy::run(ctx),
    }
}

/// The page body: overview, then one section per part (or its failure).
pub(crate) fn assemble(
    opts: &ReportOptions,
    outcomes: &[PartOutcome],
    sections: &[(Part, Section)],
) -> String {
    let mut body = String::new();
    body.push_str("<h1>neurocircuits report</h1>\n");
    body.push_str(
        "<p>One run of the toolkit's three parts on built-in defaults: the NCAP swimmer \
         (Bhattasali, Zador &amp; Engel, NeurIPS 2022), neural circuit diagrams (Abbott, TMLR 2024) \
         and rich/lazy learning (Liu et al., ICLR 2024). Every number and figure below comes from this run.</p>\n",
    );
    body.push_str("<nav>");
    for (part, _) in sections {
        let _ = write!(
            body,
            "<a href=\"#{}\">{}</a>",
            part.name(),
            escape(part.title())
        );
    }
    body.push_str("</nav>\n<h2 id=\"overview\">Overview</h2>\n");
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            vec![
                o.part.name().to_string(),
                if o.error.is_some() {
                    "failed".into()
                } else {
                    "ok".into()
                },
                format!("{:.1}", o.seconds),
            ]
        })
        .collect();
    body.push_str(&table(&["part", "status", "seconds"], &rows));
    let config = serde_json::json!({
        "preset": opts.preset,
        "seed": opts.seed,
        "parts": opts.parts,
        "neurocircuits_version": env!("CARGO_PKG_VERSION"),
        "target": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        "rayon_threads": rayon_threads(),
    });
    let _ = writeln!(
        body,
        "<p>Configuration (also in <code>summary.json</code>):</p><pre>{}</pre>",
        escape(&serde_json::to_string_pretty(&config).unwrap_or_default())
    );
    for ((part, section), outcome) in sections.iter().zip(outcomes) {
        let _ = writeln!(
            body,
            "<section id=\"{}\">\n<h2>{}</h2>",
            part.name(),
            escape(part.title())
        );
        if let Some(err) = &outcome.error {
            let _ = writeln!(
                body,
                "<div class=\"failed\"><p><strong>This part failed.</strong></p><pre>{}</pre></div>",
                escape(err)
            );
        }
        body.push_str(&section.html);
        body.push_str("</section>\n");
    }
    body
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;

    #[test]
    fn a_failed_part_is_shown_with_its_error_and_the_others_still_appear() {
        let opts = ReportOptions {
            out: "x".into(),
            preset: Preset::Quick,
            parts: vec![Part::Ncap, Part::Diagrams],
            seed: 3,
        };
        let outcomes = vec![
            PartOutcome {
                part: Part::Ncap,
                seconds: 1.0,
                error: Some("swimmer diverged <at step 7>".into()),
            },
            PartOutcome {
                part: Part::Diagrams,
                seconds: 0.5,
                error: None,
            },
        ];
        let sections = vec![
            (Part::Ncap, Section::default()),
            (
                Part::Diagrams,
                Section {
                    html: "<p>zoo here</p>".into(),
                },
            ),
        ];
        let body = assemble(&opts, &outcomes, &sections);
        assert!(body.contains("This part failed."));
        assert!(
            body.contains("swimmer diverged &lt;at step 7&gt;"),
            "the error is shown, escaped"
        );
        assert!(body.contains("<p>zoo here</p>"));
        assert!(body.contains("&quot;seed&quot;: 3"));
        assert_eq!(body.matches("class=\"failed\"").count(), 1);
    }
}
