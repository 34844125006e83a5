//! Axes: scales, ranges, tick positions and tick labels.
//!
//! Charts draw in *transformed* coordinates (log10 of the value on a log axis), so plotters only
//! ever sees a linear range; we choose the ticks ourselves, because plotters' own log ticks are
//! sparse and its labels long.

use crate::PlotError;
use crate::style::TICK_PX;

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced decades; every value must be positive.
    Log10,
}

/// One axis of a chart: its label, scale and optional fixed range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Axis {
    /// Text under (x) or beside (y) the axis, with units, e.g. `environment steps`.
    pub label: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Fixed `(min, max)` in data units; `None` fits the data. Data outside is clipped.
    pub range: Option<(f64, f64)>,
    /// On a log axis, also show 0: it sits a short break before the first decade, labelled
    /// `0`, so a learning curve can start at step 0. Ignored on a linear axis.
    pub zero: bool,
}

impl Axis {
    /// A linear axis fitted to the data.
    pub fn linear(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            scale: Scale::Linear,
            range: None,
            zero: false,
        }
    }

    /// A log10 axis fitted to the data.
    pub fn log(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            scale: Scale::Log10,
            range: None,
            zero: false,
        }
    }

    /// The same log axis, also showing 0 before a break (see [`Axis::zero`]).
    ///
    /// ```
    /// use nc_plot::{Axis, LineSpec, Series, line_chart};
    /// let spec = LineSpec {
    ///     x: Axis::log("environment steps").with_zero(),
    ///     series: vec![Series::from_xy("NCAP", &[0.0, 1e4, 1e5], &[790.0, 830.0, 880.0])],
    ///     ..LineSpec::default()
    /// };
    /// assert!(line_chart(&spec).is_ok());
    /// ```
    #[must_use]
    pub fn with_zero(mut self) -> Self {
        self.zero = true;
        self
    }

    /// Whether 0 is a valid value on this axis (a log axis refuses it unless it shows zero).
    pub(crate) fn allows_zero(&self) -> bool {
        self.scale == Scale::Linear || self.zero
    }

    /// The same axis with a fixed range in data units.
    #[must_use]
    pub fn with_range(mut self, min: f64, max: f64) -> Self {
        self.range = Some((min, max));
        self
    }
}

/// A laid-out axis: its range in transformed units and its ticks.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub scale: Scale,
    pub lo: f64,
    pub hi: f64,
    /// Labelled ticks (transformed units) and their labels.
    pub major: Vec<f64>,
    pub labels: Vec<String>,
    /// Unlabelled grid lines.
    pub minor: Vec<f64>,
    /// On a log axis showing zero: `(where 0 sits, where the decades start)`, transformed.
    pub zero: Option<(f64, f64)>,
    /// Font size of the tick labels, in pixels.
    pub label_px: f64,
}

impl Layout {
    /// Labelled ticks over `[lo, hi]`, without grid lines or a zero break, in the usual font.
    pub fn ticks(scale: Scale, lo: f64, hi: f64, major: Vec<f64>, labels: Vec<String>) -> Self {
        Self {
            scale,
            lo,
            hi,
            major,
            labels,
            minor: Vec::new(),
            zero: None,
            label_px: TICK_PX,
        }
    }

    /// The label of the major tick at `t`, or an empty string.
    pub fn label_at(&self, t: f64) -> String {
        let tol = (self.hi - self.lo).abs() * 1e-9;
        self.major
            .iter()
            .position(|m| (m - t).abs() <= tol)
            .map(|i| self.labels[i].clone())
            .unwrap_or_default()
    }

    pub fn map(&self, v: f64) -> f64 {
        match self.zero {
            Some((z, _)) if v == 0.0 => z,
            _ => transform(self.scale, v),
        }
    }

    /// Keeps, in order along the axis, each label that clears the last one kept; the ticks
    /// dropped stay as grid lines.
    fn thinned(mut self, px: f64, along: &dyn Fn(&str) -> f64, gap: f64) -> Self {
        let mut ticks: Vec<(f64, String)> = self
            .major
            .iter()
            .copied()
            .zip(std::mem::take(&mut self.labels))
            .collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.major.clear();
        let mut end = f64::NEG_INFINITY;
        for (t, label) in ticks {
            let at = (t - self.lo) / (self.hi - self.lo) * px;
            let half = along(&label) / 2.0;
            if at - half >= end + gap || self.major.is_empty() {
                end = at + half;
                self.major.push(t);
                self.labels.push(label);
            } else {
                self.minor.push(t);
            }
        }
        self
    }

    /// Whether the labels, centred on their ticks along an axis `px` pixels long, each
    /// `along(label)` pixels wide in that direction, keep at least `gap` pixels apart.
    pub fn labels_fit(&self, px: f64, along: &dyn Fn(&str) -> f64, gap: f64) -> bool {
        let mut ticks: Vec<(f64, f64)> = self
            .major
            .iter()
            .zip(&self.labels)
            .map(|(&t, l)| ((t - self.lo) / (self.hi - self.lo) * px, along(l)))
            .collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        ticks
            .windows(2)
            .all(|w| w[1].0 - w[0].0 >= (w[0].1 + w[1].1) / 2.0 + gap)
    }
}

pub(crate) fn transform(scale: Scale, v: f64) -> f64 {
    match scale {
        Scale::Linear => v,
        Scale::Log10 => v.log10(),
    }
}

/// Checks a fixed range, for the axis called `name`.
pub(crate) fn check_range(axis: &Axis, name: &str) -> Result<(), PlotError> {
    if let Some((lo, hi)) = axis.range {
        let what = format!("{name} axis range");
        for (i, v) in [lo, hi].into_iter().enumerate() {
            if !v.is_finite() {
                return Err(PlotError::NonFinite {
                    what,
                    index: i,
                    value: v,
                });
            }
            if axis.scale == Scale::Log10 && v <= 0.0 {
                return Err(PlotError::NonPositive {
                    what,
                    index: i,
                    value: v,
                    why: format!("the {name} axis is logarithmic"),
                });
            }
        }
        if lo >= hi {
            return Err(PlotError::Invalid {
                what,
                reason: format!("min {lo} is not below max {hi}"),
            });
        }
    }
    Ok(())
}

/// Lays out an axis over data spanning `[data_lo, data_hi]` (data units, already checked
/// positive on a log axis; on a log axis showing zero, the positive data only); `pad` is the
/// fraction of the span added at each end.
pub(crate) fn layout(axis: &Axis, data_lo: f64, data_hi: f64, pad: f64) -> Layout {
    let (lo, hi) = transformed_range(axis, data_lo, data_hi, pad);
    let l = match axis.scale {
        Scale::Linear => linear_ticks(lo, hi, 5.0),
        Scale::Log10 => log_ticks(lo, hi),
    };
    with_zero(axis, l)
}

/// As [`layout`], for an axis `px` pixels long: when the labels would overlap (each takes
/// `along(label)` pixels along the axis, and neighbours keep `gap` apart), fewer ticks are
/// labelled, the rest staying as grid lines, until they do not.
pub(crate) fn layout_fitted(
    axis: &Axis,
    data_lo: f64,
    data_hi: f64,
    pad: f64,
    px: f64,
    along: &dyn Fn(&str) -> f64,
    gap: f64,
) -> Layout {
    let preferred = layout(axis, data_lo, data_hi, pad);
    if preferred.labels_fit(px, along, gap) {
        return preferred;
    }
    let (lo, hi) = transformed_range(axis, data_lo, data_hi, pad);
    let grid: Vec<f64> = preferred
        .major
        .iter()
        .chain(&preferred.minor)
        .copied()
        .collect();
    let mut last = None;
    for mut l in sparser(axis.scale, lo, hi) {
        // what is no longer labelled stays a grid line
        l.minor = grid
            .iter()
            .copied()
            .filter(|g| l.major.iter().all(|m| (m - g).abs() > (hi - lo) * 1e-9))
            .collect();
        let l = with_zero(axis, l);
        if l.labels_fit(px, along, gap) {
            return l;
        }
        last = Some(l);
    }
    // a very short axis: from the sparsest choice, keep each label that clears the last kept
    last.unwrap_or(preferred).thinned(px, along, gap)
}

/// Ever sparser tick choices over `[lo, hi]` (transformed), each with at least two labels
/// where the range allows.
fn sparser(scale: Scale, lo: f64, hi: f64) -> Vec<Layout> {
    match scale {
        Scale::Linear => [4.0, 3.0, 2.0, 1.0]
            .into_iter()
            .map(|target| linear_ticks(lo, hi, target))
            .collect(),
        Scale::Log10 => {
            let decades = ((hi + 1e-9).floor() - (lo - 1e-9).ceil()) as i32 + 1;
            let powers = (((lo - 1e-9).ceil() as i32)..=((hi + 1e-9).floor() as i32))
                .any(|d| !(-3..=4).contains(&d));
            let mut out: Vec<Layout> = [&[1.0, 2.0, 3.0, 5.0][..], &[1.0, 2.0, 5.0], &[1.0, 3.0]]
                .into_iter()
                .map(|ms| log_layout(lo, hi, mantissa_points(lo, hi, ms), powers))
                .filter(|l| l.major.len() >= 2)
                .collect();
            for stride in [1, 2, 3, 5, 10, 20, 50] {
                let major: Vec<f64> = mantissa_points(lo, hi, &[1.0])
                    .into_iter()
                    .filter(|t| (t.round() as i64).rem_euclid(stride) == 0)
                    .collect();
                if major.len() >= 2 || (major.len() == 1 && decades <= 2) {
                    out.push(log_layout(lo, hi, major, powers));
                }
            }
            if decades < 2 {
                // less than a decade or two: nice values, evenly spaced in value
                for target in [3.0, 2.0] {
                    out.push(linear_in_value(lo, hi, target));
                }
            }
            out
        }
    }
}

fn log_layout(lo: f64, hi: f64, major: Vec<f64>, powers: bool) -> Layout {
    let labels = major.iter().map(|&t| format_log(t, powers)).collect();
    Layout::ticks(Scale::Log10, lo, hi, major, labels)
}

/// Where 0 goes on a log axis that shows it: a break of a third of a decade (or a tenth of
/// the axis, if more) before the decades begin, and a little room before 0 itself.
fn with_zero(axis: &Axis, mut l: Layout) -> Layout {
    if !(axis.zero && axis.scale == Scale::Log10) {
        return l;
    }
    let start = l.lo;
    let z = start - f64::max(1.0 / 3.0, 0.1 * (l.hi - l.lo));
    l.lo = z - 0.03 * (l.hi - z);
    l.major.insert(0, z);
    l.labels.insert(0, "0".into());
    l.zero = Some((z, start));
    l
}

/// The axis range in transformed units: fixed, or the data's with `pad` at each end; never
/// empty.
fn transformed_range(axis: &Axis, data_lo: f64, data_hi: f64, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = match axis.range {
        Some((a, b)) => (transform(axis.scale, a), transform(axis.scale, b)),
        None => {
            let (a, b) = (
                transform(axis.scale, data_lo),
                transform(axis.scale, data_hi),
            );
            let span = b - a;
            (a - pad * span, b + pad * span)
        }
    };
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) * 16.0 {
        // a flat series still needs a visible range
        let d = match axis.scale {
            Scale::Linear => (lo.abs() * 0.1).max(0.5),
            Scale::Log10 => 0.5,
        };
        lo -= d;
        hi += d;
    }
    (lo, hi)
}

/// A "nice" step (1, 2, 2.5 or 5 times a power of ten) near `span / target`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f < 1.5 {
        1.0
    } else if f < 2.25 {
        2.0
    } else if f < 3.5 {
        2.5
    } else if f < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Multiples of `step` inside `[lo, hi]`, snapped so they print cleanly.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// About `target` nicely spaced ticks over `[lo, hi]`.
fn linear_ticks(lo: f64, hi: f64, target: f64) -> Layout {
    let step = nice_step(hi - lo, target);
    let major = multiples(lo, hi, step);
    let minor = multiples(lo, hi, step / 2.0)
        .into_iter()
        .filter(|m| major.iter().all(|t| (t - m).abs() > step * 1e-6))
        .collect();
    let labels = major.iter().map(|&v| format_linear(v, step)).collect();
    Layout {
        minor,
        ..Layout::ticks(Scale::Linear, lo, hi, major, labels)
    }
}

/// Prints `v` with as many decimals as `step` needs; large values get k/M/G suffixes.
pub(crate) fn format_linear(v: f64, step: f64) -> String {
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let a = v.abs();
    if a >= 1e4 {
        for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
            if a >= scale {
                return format!("{}{suffix}", trim_decimals(v / scale, step / scale));
            }
        }
    }
    if a < 1e-3 {
        return format_sci(v);
    }
    trim_decimals(v, step)
}

fn trim_decimals(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize + 1
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn format_sci(v: f64) -> String {
    let e = v.abs().log10().floor() as i32;
    let m = v / 10f64.powi(e);
    let m = format!("{m:.1}");
    let m = m.trim_end_matches('0').trim_end_matches('.');
    format!("{m}×10{}", superscript(e))
}

fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

/// `log10(m · 10^d)` for every decade `d` and mantissa `m` in `ms`, inside `[lo, hi]`.
fn mantissa_points(lo: f64, hi: f64, ms: &[f64]) -> Vec<f64> {
    let tol = 1e-9;
    let mut out = Vec::new();
    for d in ((lo.floor() as i32) - 1)..=((hi.ceil() as i32) + 1) {
        for &m in ms {
            let t = f64::from(d) + m.log10();
            if t >= lo - tol && t <= hi + tol {
                out.push(t);
            }
        }
    }
    out
}

/// Ticks of a short log range at nice values evenly spaced in value space.
fn linear_in_value(lo: f64, hi: f64, target: f64) -> Layout {
    let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
    let step = nice_step(b - a, target);
    let ticks = multiples(a, b, step);
    let labels = ticks.iter().map(|&v| format_linear(v, step)).collect();
    let major = ticks.iter().map(|v| v.log10()).collect();
    Layout::ticks(Scale::Log10, lo, hi, major, labels)
}

fn log_ticks(lo: f64, hi: f64) -> Layout {
    let tol = 1e-9;
    let decades: Vec<i32> = (((lo - tol).ceil() as i32)..=((hi + tol).floor() as i32)).collect();
    let mantissa_points = |ms: &[f64]| mantissa_points(lo, hi, ms);
    let powers = decades.iter().any(|&d| !(-3..=4).contains(&d));
    let m125 = mantissa_points(&[1.0, 2.0, 5.0]);
    let (major, minor): (Vec<f64>, Vec<f64>) = if decades.len() >= 2 && m125.len() <= 7 {
        // up to about two decades: label 1, 2, 5 in each
        (m125, mantissa_points(&[3.0, 4.0, 6.0, 7.0, 8.0, 9.0]))
    } else if decades.len() >= 2 {
        // label every decade, or every k-th when there are many
        let stride = decades.len().div_ceil(8);
        let major: Vec<f64> = decades
            .iter()
            .filter(|&&d| d.rem_euclid(stride as i32) == 0)
            .map(|&d| f64::from(d))
            .collect();
        let minor = if stride == 1 {
            mantissa_points(&[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
        } else {
            decades
                .iter()
                .map(|&d| f64::from(d))
                .filter(|t| !major.contains(t))
                .collect()
        };
        (major, minor)
    } else {
        if m125.len() >= 3 {
            (m125, mantissa_points(&[3.0, 4.0, 6.0, 7.0, 8.0, 9.0]))
        } else {
            let all = mantissa_points(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
            if all.len() >= 3 {
                (all, Vec::new())
            } else {
                // less than a factor of ~3: nice linear ticks in value space
                return linear_in_value(lo, hi, 4.0);
            }
        }
    };
    Layout {
        minor,
        ..log_layout(lo, hi, major, powers)
    }
}

/// Labels the log-axis tick at `t = log10(v)`: plain numbers for moderate decades,
/// `10ᵏ` / `m×10ᵏ` otherwise.
fn format_log(t: f64, powers: bool) -> String {
    let d = t.floor();
    let m = 10f64.powf(t - d);
    let m_round = m.round();
    let e = d as i32;
    if powers {
        if (m_round - 1.0).abs() < 1e-6 {
            format!("10{}", superscript(e))
        } else {
            format!("{m_round}×10{}", superscript(e))
        }
    } else {
        let v = m_round * 10f64.powi(e);
        let decimals = if e < 0 { (-e) as usize } else { 0 };
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_clean() {
        let l = layout(&Axis::linear(""), 0.0, 1.0, 0.0);
        assert_eq!(l.labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        let l = layout(&Axis::linear(""), 0.0, 1e6, 0.0);
        assert_eq!(l.labels, ["0", "200k", "400k", "600k", "800k", "1M"]);
    }

    #[test]
    fn log_ticks_label_decades() {
        let l = layout(&Axis::log(""), 1e3, 1e7, 0.0);
        assert_eq!(l.labels, ["10³", "10⁴", "10⁵", "10⁶", "10⁷"]);
        assert_eq!(l.minor.len(), 8 * 4);
        let l = layout(&Axis::log(""), 1.0, 1000.0, 0.0);
        assert_eq!(l.labels, ["1", "10", "100", "1000"]);
        let l = layout(&Axis::log(""), 0.001, 1.0, 0.0);
        assert_eq!(l.labels, ["0.001", "0.01", "0.1", "1"]);
        let l = layout(&Axis::log(""), 1.0, 64.0, 0.0);
        assert_eq!(l.labels, ["1", "2", "5", "10", "20", "50"]);
    }

    #[test]
    fn narrow_log_ranges_still_get_ticks() {
        let l = layout(&Axis::log(""), 3.0, 40.0, 0.0);
        assert_eq!(l.labels, ["5", "10", "20"]);
        let l = layout(&Axis::log(""), 1.2, 1.8, 0.0);
        assert!(l.labels.len() >= 2, "{:?}", l.labels);
    }

    #[test]
    fn many_decades_are_thinned() {
        let l = layout(&Axis::log(""), 1e-12, 1e3, 0.0);
        assert!(l.major.len() <= 8, "{:?}", l.labels);
    }

    fn width(l: &str) -> f64 {
        f64::from(crate::style::text_size(l, TICK_PX).0)
    }

    /// The learning-curve axis of a short ES budget, where "8000 900010000" ran together.
    #[test]
    fn short_log_budget_labels_do_not_collide() {
        crate::font::ensure_fonts().unwrap();
        let plain = layout(&Axis::log(""), 8000.0, 48000.0, 0.0);
        assert!(!plain.labels_fit(560.0, &width, 8.0), "{:?}", plain.labels);
        for px in [200.0, 360.0, 560.0] {
            let l = layout_fitted(&Axis::log(""), 8000.0, 48000.0, 0.0, px, &width, 8.0);
            assert!(l.labels_fit(px, &width, 8.0), "{px}: {:?}", l.labels);
            assert!(l.labels.len() >= 2, "{px}: {:?}", l.labels);
            // what is no longer labelled is still a grid line
            assert!(l.major.len() + l.minor.len() >= plain.major.len(), "{px}");
        }
    }

    #[test]
    fn zero_sits_before_the_decades() {
        let l = layout(&Axis::log("").with_zero(), 1e3, 1e6, 0.0);
        let (z, start) = l.zero.unwrap();
        assert_eq!(l.labels[0], "0");
        assert_eq!(l.map(0.0), z);
        assert!(z < start && l.lo < z && (start - 3.0).abs() < 1e-12);
        assert_eq!(&l.labels[1..], ["10³", "10⁴", "10⁵", "10⁶"]);
        assert!(l.minor.iter().all(|&m| m >= start - 1e-9));
        assert_eq!(
            layout(&Axis::linear("").with_zero(), 0.0, 1.0, 0.0).zero,
            None
        );
    }

    proptest::proptest! {
        /// Whatever the data and the axis length, labels never overlap on an axis long
        /// enough for two labels.
        #[test]
        fn fitted_labels_never_overlap(
            a in -12.0f64..12.0,
            span in 0.01f64..14.0,
            log in proptest::bool::ANY,
            zero in proptest::bool::ANY,
            px in 120.0f64..1200.0,
        ) {
            crate::font::ensure_fonts().unwrap();
            let axis = if log { Axis::log("") } else { Axis::linear("") };
            let axis = if zero { axis.with_zero() } else { axis };
            let (lo, hi) = if log {
                (10f64.powf(a), 10f64.powf(a + span))
            } else {
                (a * 1e3, (a + span) * 1e3)
            };
            let l = layout_fitted(&axis, lo, hi, 0.0, px, &width, 6.0);
            proptest::prop_assert!(l.labels_fit(px, &width, 6.0), "{:?} over {px} px", l.labels);
            proptest::prop_assert!(!l.labels.is_empty());
        }
    }

    #[test]
    fn flat_data_gets_a_range() {
        let l = layout(&Axis::linear(""), 2.0, 2.0, 0.05);
        assert!(l.hi > l.lo && l.major.len() >= 2);
    }
}
