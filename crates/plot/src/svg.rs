//! Finishing and saving SVG text: the text alternative and the atomic write.

use std::path::Path;

use crate::PlotError;

/// Escapes text for XML content and attribute values.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // characters XML 1.0 forbids
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Inserts `role="img"`, `<title>` and `<desc>` right after the opening `<svg …>` tag, where
/// screen readers and browsers (tooltip) look for them.
pub(crate) fn add_text_alternative(
    svg: &str,
    title: &str,
    desc: &str,
) -> Result<String, PlotError> {
    let start = svg
        .find("<svg")
        .ok_or_else(|| PlotError::Draw("no <svg> tag in output".into()))?;
    let end = svg[start..]
        .find('>')
        .map(|i| start + i)
        .ok_or_else(|| PlotError::Draw("unterminated <svg> tag in output".into()))?;
    let mut out = String::with_capacity(svg.len() + title.len() + desc.len() + 64);
    out.push_str(&svg[..end]);
    out.push_str(" role=\"img\">\n<title>");
    out.push_str(&xml_escape(title));
    out.push_str("</title>\n<desc>");
    out.push_str(&xml_escape(desc));
    out.push_str("</desc>");
    out.push_str(&svg[end + 1..]);
    Ok(out)
}

/// Writes an SVG string atomically (temporary file, then rename).
pub fn save_svg(path: &Path, svg: &str) -> Result<(), PlotError> {
    write_file(path, svg.as_bytes())
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    nc_core::output::write_atomic(path, bytes).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_alternative_is_escaped_and_placed_first() {
        let s = add_text_alternative("<svg a=\"1\">\n<rect/></svg>", "a<b", "x & y").unwrap();
        assert!(s.starts_with(
            "<svg a=\"1\" role=\"img\">\n<title>a&lt;b</title>\n<desc>x &amp; y</desc>"
        ));
        assert!(s.ends_with("<rect/></svg>"));
    }
}
