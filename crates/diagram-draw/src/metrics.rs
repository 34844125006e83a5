//! Embedded font metrics: text is measured without a browser.
//!
//! Every label is set in DejaVu Sans Mono, whose glyphs all advance 0.602 em (regular, bold
//! and oblique alike), so a width is a character count. Combining marks (the bar of `x̄`)
//! take no advance.

/// Advance width of one glyph in em.
pub const ADVANCE_EM: f64 = 0.602;
/// Ascent above the baseline used for text boxes, in em.
pub const ASCENT_EM: f64 = 0.76;
/// Descent below the baseline used for text boxes, in em.
pub const DESCENT_EM: f64 = 0.24;
/// The font family written into SVG and TikZ output.
pub const FONT_FAMILY: &str = "DejaVu Sans Mono,monospace";

/// Whether `c` is a combining mark drawn over the previous glyph.
fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F)
}

/// Number of advancing glyphs in `s`.
#[must_use]
pub fn glyphs(s: &str) -> usize {
    s.chars().filter(|c| !is_combining(*c)).count()
}

/// Width in pixels of `s` set at `size` pixels.
///
/// ```
/// assert!((nc_diagram_draw::metrics::width("ab", 10.0) - 12.04).abs() < 1e-9);
/// assert_eq!(nc_diagram_draw::metrics::width("x̄", 10.0), nc_diagram_draw::metrics::width("x", 10.0));
/// ```
#[must_use]
#[allow(clippy::cast_precision_loss, reason = "label lengths are tiny")]
pub fn width(s: &str, size: f64) -> f64 {
    glyphs(s) as f64 * ADVANCE_EM * size
}
