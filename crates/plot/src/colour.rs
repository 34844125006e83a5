//! Colour maps for heatmaps and their colour bars.

use crate::style::Rgb;

/// How matrix values become colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColourScale {
    /// Diverging if the values take both signs, else sequential.
    #[default]
    Auto,
    /// Viridis, low (dark violet) to high (yellow).
    Sequential,
    /// Blue–white–red, symmetric around zero (white).
    Diverging,
}

/// Viridis at eleven evenly spaced points.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (68, 1, 84),
    (72, 35, 116),
    (64, 67, 135),
    (52, 94, 141),
    (41, 120, 142),
    (32, 144, 140),
    (34, 167, 132),
    (68, 190, 112),
    (121, 209, 81),
    (189, 222, 38),
    (253, 231, 37),
];

/// ColorBrewer RdBu, reversed so negative is blue.
const RDBU: [(u8, u8, u8); 9] = [
    (33, 102, 172),
    (67, 147, 195),
    (146, 197, 222),
    (209, 229, 240),
    (247, 247, 247),
    (253, 219, 199),
    (244, 165, 130),
    (214, 96, 77),
    (178, 24, 43),
];

fn lerp_table(table: &[(u8, u8, u8)], t: f64) -> Rgb {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (table.len() - 1) as f64;
    let i = (x.floor() as usize).min(table.len() - 2);
    let f = x - i as f64;
    let (a, b) = (table[i], table[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A resolved colour map: a scale and the value range it spans.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColourMap {
    pub diverging: bool,
    pub lo: f64,
    pub hi: f64,
}

impl ColourMap {
    /// Resolves `scale` for data spanning `[lo, hi]`; a diverging map is made symmetric.
    pub fn new(scale: ColourScale, lo: f64, hi: f64) -> Self {
        let diverging = match scale {
            ColourScale::Auto => lo < 0.0 && hi > 0.0,
            ColourScale::Sequential => false,
            ColourScale::Diverging => true,
        };
        let (mut lo, mut hi) = if diverging {
            let m = lo.abs().max(hi.abs());
            (-m, m)
        } else {
            (lo, hi)
        };
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            // constant data: show it mid-scale
            lo -= 0.5;
            hi += 0.5;
        }
        Self { diverging, lo, hi }
    }

    pub fn colour(&self, v: f64) -> Rgb {
        let t = (v - self.lo) / (self.hi - self.lo);
        if self.diverging {
            lerp_table(&RDBU, t)
        } else {
            lerp_table(&VIRIDIS, t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_middle() {
        let m = ColourMap::new(ColourScale::Auto, -2.0, 1.0);
        assert!(m.diverging);
        assert_eq!(m.colour(0.0), Rgb(247, 247, 247));
        assert_eq!(m.colour(-2.0), Rgb(33, 102, 172));
        let m = ColourMap::new(ColourScale::Auto, 0.0, 1.0);
        assert_eq!(m.colour(1.0), Rgb(253, 231, 37));
        assert_eq!(m.colour(5.0), Rgb(253, 231, 37));
    }
}
