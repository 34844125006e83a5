//! The costs of one operation, symbolic ([`OpCost`]) and bound ([`BoundCost`]): what each
//! operation's module returns, below the operations and the cost model that sums them.

use crate::error::ExecError;
use crate::size::{Bindings, Poly, SizeError};
use serde::Serialize;

/// Symbolic costs of one operation (or a sum of them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpCost {
    /// Matmul/conv FLOPs, forward.
    pub flops_fwd: Poly,
    /// Matmul/conv FLOPs, backward.
    pub flops_bwd: Poly,
    /// All operations, forward.
    pub ops_fwd: Poly,
    /// All operations, backward.
    pub ops_bwd: Poly,
    /// Parameters used.
    pub params: Poly,
    /// Elements stored for the backward pass.
    pub saved: Poly,
    /// Elements read and written.
    pub moved: Poly,
}

impl OpCost {
    /// The sum.
    pub fn plus(&self, o: &OpCost) -> OpCost {
        OpCost {
            flops_fwd: self.flops_fwd.plus(&o.flops_fwd),
            flops_bwd: self.flops_bwd.plus(&o.flops_bwd),
            ops_fwd: self.ops_fwd.plus(&o.ops_fwd),
            ops_bwd: self.ops_bwd.plus(&o.ops_bwd),
            params: self.params.plus(&o.params),
            saved: self.saved.plus(&o.saved),
            moved: self.moved.plus(&o.moved),
        }
    }
    /// Numbers under `b`, with `bytes` per element. Every step is checked: a count past
    /// `u128` is an error naming the quantity, the term and the sizes in it.
    pub fn bind(&self, b: &Bindings, bytes: u64) -> Result<BoundCost, ExecError> {
        let u = |quantity: &'static str, p: &Poly, per: u64| -> Result<u128, ExecError> {
            let wrap = |cause| ExecError::Cost { quantity, cause };
            let v = u128::try_from(p.eval(b).map_err(wrap)?.max(0)).unwrap_or(0);
            v.checked_mul(u128::from(per)).ok_or_else(|| {
                wrap(SizeError::Overflow(format!(
                    "{v} elements of {per} bytes (`{p}`)"
                )))
            })
        };
        Ok(BoundCost {
            flops_forward: u("flops_forward", &self.flops_fwd, 1)?,
            flops_backward: u("flops_backward", &self.flops_bwd, 1)?,
            ops_forward: u("ops_forward", &self.ops_fwd, 1)?,
            ops_backward: u("ops_backward", &self.ops_bwd, 1)?,
            params: u("params", &self.params, 1)?,
            saved_bytes: u("saved_bytes", &self.saved, bytes)?,
            moved_bytes: u("moved_bytes", &self.moved, bytes)?,
        })
    }
}

/// Costs as numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BoundCost {
    /// Matmul/conv FLOPs, forward (FlopCounterMode convention).
    pub flops_forward: u128,
    /// Matmul/conv FLOPs, backward.
    pub flops_backward: u128,
    /// All operations, forward.
    pub ops_forward: u128,
    /// All operations, backward.
    pub ops_backward: u128,
    /// Parameters.
    pub params: u128,
    /// Bytes stored for the backward pass.
    pub saved_bytes: u128,
    /// Bytes read and written in the forward pass.
    pub moved_bytes: u128,
}
