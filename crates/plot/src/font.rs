//! The embedded font: plotters' `ab_glyph` backend needs a registered font to measure and
//! rasterise text, and we never want to depend on what the host has installed.

use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::PlotError;

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Family under which the font is registered. A generic name, so the SVG backend writes
/// `font-family="sans-serif"` and viewers fall back to their own sans font.
pub(crate) const FAMILY: &str = "sans-serif";

static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers the embedded font once per process; every entry point calls this first.
pub(crate) fn ensure_fonts() -> Result<(), PlotError> {
    REGISTERED
        .get_or_init(|| {
            // bold and italic fall back to the normal face inside plotters
            plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS)
                .map_err(|_| "embedded DejaVu Sans was rejected by ab_glyph".to_string())
        })
        .clone()
        .map_err(PlotError::Font)
}

#[cfg(test)]
mod tests {
    #[test]
    fn registers_twice_without_error() {
        super::ensure_fonts().unwrap();
        super::ensure_fonts().unwrap();
    }
}
