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
        s.push_str(&format!("<h2 id=\"{0}\">{0}</h2>\n<figure>\n", esc(name)));
        // inline SVG without the XML prologue (there is none)
        s.push_str(svg);
        s.push_str("</figure>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}
