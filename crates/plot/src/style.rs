//! The shared look: colours, font sizes and margins used by every figure.

use plotters::style::{FontDesc, RGBAColor, RGBColor, TextStyle};

use crate::font::FAMILY;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub(crate) fn to_plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }

    pub(crate) fn alpha(self, a: f64) -> RGBAColor {
        RGBAColor(self.0, self.1, self.2, a)
    }

    /// The colour mixed halfway with white: for marks behind the main ones (e.g. single seeds
    /// behind their mean).
    #[must_use]
    pub fn lighter(self) -> Self {
        let mix = |c: u8| ((u16::from(c) + 255) / 2) as u8;
        Self(mix(self.0), mix(self.1), mix(self.2))
    }
}

/// Okabe–Ito colours (readable with colour-blindness), in the order series receive them.
pub const PALETTE: [Rgb; 8] = [
    Rgb(0, 114, 178),   // blue
    Rgb(213, 94, 0),    // vermillion
    Rgb(0, 158, 115),   // bluish green
    Rgb(204, 121, 167), // reddish purple
    Rgb(230, 159, 0),   // orange
    Rgb(86, 180, 233),  // sky blue
    Rgb(120, 120, 120), // grey (instead of black, which we keep for axes)
    Rgb(240, 228, 66),  // yellow, last: weak on white
];

/// The colour of series `i` unless the caller chose one.
pub fn series_colour(i: usize, chosen: Option<Rgb>) -> Rgb {
    chosen.unwrap_or(PALETTE[i % PALETTE.len()])
}

/// Text and ink colours.
pub(crate) const INK: RGBColor = RGBColor(30, 30, 30);
pub(crate) const MUTED: RGBColor = RGBColor(90, 90, 90);

/// Font sizes in pixels (plotters units).
pub(crate) const TITLE_PX: f64 = 20.0;
pub(crate) const LABEL_PX: f64 = 16.0;
pub(crate) const TICK_PX: f64 = 14.0;
pub(crate) const LEGEND_PX: f64 = 14.0;

/// Default figure size in pixels.
pub const DEFAULT_SIZE: (u32, u32) = (720, 440);

pub(crate) fn font(px: f64) -> FontDesc<'static> {
    FontDesc::new(
        plotters::style::FontFamily::Name(FAMILY),
        px,
        plotters::style::FontStyle::Normal,
    )
}

pub(crate) fn text(px: f64) -> TextStyle<'static> {
    font(px).color(&INK)
}

/// Width and height of `s` in pixels at `px`, with a rough fallback if measuring fails.
pub(crate) fn text_size(s: &str, px: f64) -> (u32, u32) {
    use plotters::style::IntoFont;
    // fall back to an average glyph width of 0.6 em
    let approx = ((s.chars().count() as f64 * px * 0.6) as u32, px as u32);
    (FAMILY, px).into_font().box_size(s).unwrap_or(approx)
}

/// Shortens `s` with an ellipsis until it fits in `max_w` pixels.
pub(crate) fn fit_text(s: &str, px: f64, max_w: u32) -> String {
    if text_size(s, px).0 <= max_w {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    for n in (1..chars.len()).rev() {
        let t: String = chars[..n].iter().collect::<String>() + "…";
        if text_size(&t, px).0 <= max_w {
            return t;
        }
    }
    "…".to_string()
}

/// Breaks `s` into at most `max_lines` lines of at most `max_w` pixels at `px`, at spaces;
/// what still does not fit ends in an ellipsis.
pub(crate) fn wrap_text(s: &str, px: f64, max_w: u32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if cur.is_empty() || text_size(&candidate, px).0 <= max_w {
            cur = candidate;
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    let max_lines = max_lines.max(1);
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(rest);
    }
    lines.into_iter().map(|l| fit_text(&l, px, max_w)).collect()
}
