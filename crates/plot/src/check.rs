//! Input checks shared by the charts: typed errors instead of panics or silent garbage.

use crate::PlotError;
use crate::axis::{Axis, Scale};

pub(crate) fn nonempty<T>(items: &[T], what: impl FnOnce() -> String) -> Result<(), PlotError> {
    if items.is_empty() {
        Err(PlotError::Empty { what: what() })
    } else {
        Ok(())
    }
}

pub(crate) fn same_len(
    expected: usize,
    got: usize,
    what: impl FnOnce() -> String,
) -> Result<(), PlotError> {
    if expected == got {
        Ok(())
    } else {
        Err(PlotError::LengthMismatch {
            what: what(),
            expected,
            got,
        })
    }
}

pub(crate) fn finite(
    value: f64,
    index: usize,
    what: impl FnOnce() -> String,
) -> Result<(), PlotError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(PlotError::NonFinite {
            what: what(),
            index,
            value,
        })
    }
}

/// Finite, and positive when the axis called `name` is logarithmic (or zero, if it shows
/// zero).
pub(crate) fn on_axis(
    value: f64,
    index: usize,
    axis: &Axis,
    name: &str,
    what: impl Fn() -> String,
) -> Result<(), PlotError> {
    finite(value, index, &what)?;
    let allowed = value > 0.0 || (value == 0.0 && axis.allows_zero());
    if axis.scale == Scale::Log10 && !allowed {
        return Err(PlotError::NonPositive {
            what: what(),
            index,
            value,
            why: if axis.zero {
                format!("the {name} axis is logarithmic (with 0)")
            } else {
                format!("the {name} axis is logarithmic")
            },
        });
    }
    Ok(())
}

pub(crate) fn size(size: (u32, u32), min: (u32, u32)) -> Result<(), PlotError> {
    if size.0 < min.0 || size.1 < min.1 || size.0 > 16384 || size.1 > 16384 {
        return Err(PlotError::Invalid {
            what: "size".into(),
            reason: format!(
                "{}x{} pixels is outside {}x{} ..= 16384x16384",
                size.0, size.1, min.0, min.1
            ),
        });
    }
    Ok(())
}

/// The smallest and largest of `values` (which must be finite and non-empty).
pub(crate) fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}
