//! The page: escaping, figures with text alternatives, and the self-check script.

use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One figure: an image file beside the page, its text alternative and a plain statement of
/// what it shows in this run.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Path relative to the report folder.
    pub src: String,
    /// Text alternative (what the picture shows).
    pub alt: String,
    /// Caption: what it shows and whether it agrees with the paper, from this run's numbers.
    pub caption: String,
}

impl Figure {
    /// Renders `<figure>` with a link to the full-size image.
    pub fn html(&self) -> String {
        format!(
            "<figure><a href=\"{src}\"><img src=\"{src}\" alt=\"{alt}\" loading=\"eager\"></a><figcaption>{cap}</figcaption></figure>\n",
            src = escape(&self.src),
            alt = escape(&self.alt),
            cap = escape(&self.caption)
        )
    }
}

/// A simple table from a header and rows of cells (escaped).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in header {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr></thead><tbody>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", escape(c));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
    s
}

// runs first: records script errors and console.error calls, then on load checks every
// image decoded with a non-zero natural size and writes the verdict on <html data-selfcheck>
const SELF_CHECK: &str = r#"<script>
(function () {
  var problems = [];
  window.addEventListener('error', function (e) {
    if (e.target && e.target.tagName === 'IMG') { problems.push('image failed: ' + e.target.getAttribute('src')); }
    else { problems.push('script error: ' + e.message); }
  }, true);
  var origError = console.error;
  console.error = function () { problems.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); origError.apply(console, arguments); };
  window.addEventListener('load', function () {
    var imgs = document.images, ok = 0;
    for (var i = 0; i < imgs.length; i++) {
      if (imgs[i].complete && imgs[i].naturalWidth > 0 && imgs[i].naturalHeight > 0) { ok++; }
      else { problems.push('image not loaded: ' + imgs[i].getAttribute('src')); }
    }
    document.documentElement.setAttribute('data-selfcheck',
      problems.length === 0 ? ('ok ' + ok + ' images') : ('fail ' + problems.join(' | ')));
  });
})();
</script>"#;

const STYLE: &str = r#"<style>
body { font-family: "DejaVu Sans", system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.8em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
nav a { margin-right: 1em; } .failed { background: #fff0f0; border-left: 4px solid #c00; padding: .5em 1em; }
figure { display: inline-block; vertical-align: top; margin: .6em; max-width: 520px; }
figure img { max-width: 100%; border: 1px solid #e4e4e4; background: #fff; }
figcaption { font-size: .9em; color: #333; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; } th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: .85em; }
figure pre { max-height: 30em; overflow: auto; text-align: left; }
.verdict-agree { color: #07660a; } .verdict-disagree { color: #a00; } .verdict-unjudged { color: #7a5b00; }
</style>"#;

/// Wraps the body into a complete offline page (no external resources).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n{SELF_CHECK}\n{STYLE}\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_captions_and_alts() {
        let f = Figure {
            src: "a b.svg".into(),
            alt: "x < y & \"z\"".into(),
            caption: "<b>".into(),
        };
        let h = f.html();
        assert!(h.contains("alt=\"x &lt; y &amp; &quot;z&quot;\""));
        assert!(h.contains("&lt;b&gt;"));
    }

    #[test]
    fn page_is_self_contained() {
        let p = page("t", "<p>x</p>");
        assert!(!p.contains("http://") && !p.contains("https://"));
        assert!(p.contains("data-selfcheck"));
    }
}
