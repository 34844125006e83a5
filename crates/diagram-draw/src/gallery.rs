//! The gallery page: every drawing inline in one self-contained HTML file.

use crate::svg::esc;

/// Returns an HTML page showing the given `(name, svg)` drawings, in order.
///
/// ```
/// let html = nc_diagram_draw::gallery::html("Zoo", &[("mlp".into(), "<svg></svg>".into())]);
/// assert!(html.contains("<h2 id=\"mlp\">mlp</h2>"));
/// ```
#[must_use]
pub fn html(title: &str, drawings: &[(String, String)]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", esc(title)));
    s.push_str(
        "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}\
         figure{margin:0 0 2.5em 0;overflow-x:auto}nav a{margin-right:1em}</style>\n",
    );
    s.push_str("</head>\n<body>\n");
    s.push_str(&format!(
        "<h1>{}</h1>\n<p><a href=\"interactive.html\">Interactive: click a block to expand \
         it in place</a></p>\n<nav>",
        esc(title)
    ));
    for (name, _) in drawings {
        s.push_str(&format!("<a href=\"#{0}\">{0}</a>", esc(name)));
    }
    s.push_str("</nav>\n");
    for (name, svg) in drawings {
        s.push_str(&format!("<h2 id=\"{0}\">{0}</h2>\n", esc(name)));
        // the side-by-side reference: the paper's figure of the same architecture, by number
        // and title only (its figures are not copied here)
        let model = name.split('.').next().unwrap_or(name);
        if let Some(fig) = paper_figure(model) {
            s.push_str(&format!(
                "<p class=\"paper\">Compare: {} in Abbott, <i>Neural Circuit Diagrams</i> \
                 (TMLR 2024, arXiv:2402.05424).</p>\n",
                esc(fig)
            ));
        }
        s.push_str("<figure>\n");
        // inline SVG without the XML prologue (there is none)
        s.push_str(svg);
        s.push_str("</figure>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

/// The paper's figure of the same architecture as zoo model `model`, by number and title.
///
/// ```
/// assert_eq!(
///     nc_diagram_draw::gallery::paper_figure("resnet"),
///     Some("Fig. 26 (Identity ResNet)")
/// );
/// assert_eq!(nc_diagram_draw::gallery::paper_figure("rnn_cell"), None);
/// ```
#[must_use]
pub fn paper_figure(model: &str) -> Option<&'static str> {
    Some(match model {
        "mlp" => "Fig. 19 (MLP)",
        "sdpa" => "Fig. 20 (scaled dot-product attention)",
        "mha" => "Fig. 21 (multi-head attention)",
        "resnet" => "Fig. 26 (Identity ResNet)",
        "unet" => "Fig. 27 (U-Net)",
        "visual_attention" => "Fig. 28 (visual attention)",
        _ => return None,
    })
}
