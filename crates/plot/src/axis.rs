//! Axes: scales, ranges, tick positions and tick labels.
//!
//! Charts draw in *transformed* coordinates (log10 of the value on a log axis), so plotters only
//! ever sees a linear range; we choose the ticks ourselves, because plotters' own log ticks are
//! sparse and its labels long.

use crate::PlotError;

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
}

impl Axis {
    /// A linear axis fitted to the data.
    pub fn linear(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            scale: Scale::Linear,
            range: None,
        }
    }

    /// A log10 axis fitted to the data.
    pub fn log(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            scale: Scale::Log10,
            range: None,
        }
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
}

impl Layout {
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
        transform(self.scale, v)
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
/// positive on a log axis); `pad` is the fraction of the span added at each end.
pub(crate) fn layout(axis: &Axis, data_lo: f64, data_hi: f64, pad: f64) -> Layout {
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
    match axis.scale {
        Scale::Linear => linear_ticks(lo, hi),
        Scale::Log10 => log_ticks(lo, hi),
    }
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

fn linear_ticks(lo: f64, hi: f64) -> Layout {
    let step = nice_step(hi - lo, 5.0);
    let major = multiples(lo, hi, step);
    let minor = multiples(lo, hi, step / 2.0)
        .into_iter()
        .filter(|m| major.iter().all(|t| (t - m).abs() > step * 1e-6))
        .collect();
    let labels = major.iter().map(|&v| format_linear(v, step)).collect();
    Layout {
        scale: Scale::Linear,
        lo,
        hi,
        major,
        labels,
        minor,
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

fn log_ticks(lo: f64, hi: f64) -> Layout {
    let tol = 1e-9;
    let decades: Vec<i32> = (((lo - tol).ceil() as i32)..=((hi + tol).floor() as i32)).collect();
    let mantissa_points = |ms: &[f64]| -> Vec<f64> {
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
    };
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
                let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
                let step = nice_step(b - a, 4.0);
                let ticks = multiples(a, b, step);
                let labels = ticks.iter().map(|&v| format_linear(v, step)).collect();
                let major = ticks.iter().map(|v| v.log10()).collect();
                return Layout {
                    scale: Scale::Log10,
                    lo,
                    hi,
                    major,
                    labels,
                    minor: Vec::new(),
                };
            }
        }
    };
    let labels = major.iter().map(|&t| format_log(t, powers)).collect();
    Layout {
        scale: Scale::Log10,
        lo,
        hi,
        major,
        labels,
        minor,
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

    #[test]
    fn flat_data_gets_a_range() {
        let l = layout(&Axis::linear(""), 2.0, 2.0, 0.05);
        assert!(l.hi > l.lo && l.major.len() >= 2);
    }
}
