//! Sizes bound to numbers: what every operation needs at run time, below the executor and
//! the operations that read it.

use crate::error::ExecError;
use crate::ir::{AxisId, Circuit};
use crate::size::Bindings;

/// Evaluates every axis size under `b`.
pub fn resolve_sizes(c: &Circuit, b: &Bindings) -> Result<Vec<usize>, ExecError> {
    c.axes
        .iter()
        .map(|a| {
            let v = a.size.eval(b).map_err(|cause| ExecError::Size {
                axis: c.axis_label(a.id),
                cause,
            })?;
            if v <= 0 {
                return Err(ExecError::NonPositive {
                    axis: c.axis_label(a.id),
                    size: v,
                });
            }
            Ok(v as usize)
        })
        .collect()
}

/// Bound sizes plus the bindings they came from.
#[derive(Clone, Debug)]
pub struct Bound {
    /// Size of each axis.
    pub sizes: Vec<usize>,
    /// The bindings.
    pub bindings: Bindings,
}

impl Bound {
    /// Binds the circuit's sizes.
    /// Refuses circuits with size errors (the checker's `E…` findings).
    ///
    /// Every array must be addressable (its bytes fit in `isize`), so that no later size
    /// arithmetic overflows; whether it fits in memory is [`crate::cost::check_memory`]'s
    /// question.
    pub fn new(c: &Circuit, b: &Bindings) -> Result<Bound, ExecError> {
        let sizes = resolve_sizes(c, b)?;
        let arrays = c
            .values
            .iter()
            .map(|v| (&v.name, &v.ty.axes))
            .chain(c.params.iter().map(|p| (&p.name, &p.axes)));
        for (name, axes) in arrays {
            let n = axes
                .iter()
                .try_fold(1u128, |n, a| n.checked_mul(sizes[a.ix()] as u128))
                .unwrap_or(u128::MAX);
            // 8 bytes per f64 element
            if n > (isize::MAX as u128) / 8 {
                return Err(ExecError::TooLarge {
                    value: name.clone(),
                    elements: n,
                });
            }
        }
        // a scale by a size (`k^-0.5`) must have its size bound, as an axis must
        for n in &c.nodes {
            if let crate::ir::Op::Map(crate::ir::Func::ScaleBySize(e, _)) = &n.op
                && let Err(cause) = e.eval(b)
            {
                return Err(ExecError::Scale {
                    op: n.name.clone(),
                    cause,
                });
            }
        }
        if let Some(d) = crate::check::sizes::run(c, b).into_iter().next() {
            return Err(ExecError::Check(d.to_string()));
        }
        Ok(Bound {
            sizes,
            bindings: b.clone(),
        })
    }
    /// Dims of a list of axes.
    pub fn dims(&self, axes: &[AxisId]) -> Vec<usize> {
        axes.iter().map(|a| self.sizes[a.ix()]).collect()
    }
}
