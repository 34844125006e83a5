//! The cost model: per operation, block and circuit, as polynomials in the axis sizes and as
//! numbers once sizes are bound.
//!
//! Conventions:
//! - `flops_*` follow PyTorch's `FlopCounterMode`: only matrix products and convolutions
//!   (here: [`crate::ir::Op::Linear`] and multi-operand einsums), 2 per multiply-add; the
//!   backward pass counts the gradients of both operands (input gradients included).
//! - `ops_*` are full operation counts: the FLOPs above plus elementwise work (relu 1, tanh,
//!   sigmoid and exp 4, GELU 8, softmax 5, norm 7 or 9 per element, bias adds 1).
//! - `saved` counts the elements the backward pass needs stored; `moved` the elements an
//!   operation reads (inputs, parameters) and writes in the forward pass.

use crate::exec::{ExecError, Plan, resolve_sizes};
use crate::ir::{Circuit, NodeId};
use crate::ops::{self, axes_elems};
use crate::size::{Bindings, Poly, SizeError};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// Numbers under `b`, with `bytes` per element.
    pub fn bind(&self, b: &Bindings, bytes: u64) -> Result<BoundCost, SizeError> {
        let u = |p: &Poly| -> Result<u128, SizeError> { Ok(p.eval(b)?.max(0) as u128) };
        Ok(BoundCost {
            flops_forward: u(&self.flops_fwd)?,
            flops_backward: u(&self.flops_bwd)?,
            ops_forward: u(&self.ops_fwd)?,
            ops_backward: u(&self.ops_bwd)?,
            params: u(&self.params)?,
            saved_bytes: u(&self.saved)? * bytes as u128,
            moved_bytes: u(&self.moved)? * bytes as u128,
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

/// Symbolic costs of a circuit.
#[derive(Clone, Debug)]
pub struct CostReport {
    /// Per node, in order.
    pub nodes: Vec<(NodeId, OpCost)>,
    /// Per block name (all iterations together), in first-appearance order.
    pub blocks: Vec<(String, OpCost)>,
    /// The whole circuit; `params` counts each shared parameter once.
    pub total: OpCost,
}

/// Symbolic costs.
pub fn cost(c: &Circuit) -> CostReport {
    let nodes: Vec<(NodeId, OpCost)> = c.nodes.iter().map(|n| (n.id, ops::cost(c, n))).collect();
    let mut blocks: Vec<(String, OpCost)> = Vec::new();
    for b in &c.blocks {
        let sum = b
            .nodes
            .iter()
            .fold(OpCost::default(), |acc, n| acc.plus(&nodes[n.ix()].1));
        match blocks.iter_mut().find(|(name, _)| *name == b.name) {
            Some((_, acc)) => *acc = acc.plus(&sum),
            None => blocks.push((b.name.clone(), sum)),
        }
    }
    let mut total = nodes
        .iter()
        .fold(OpCost::default(), |acc, (_, k)| acc.plus(k));
    total.params = c
        .params
        .iter()
        .fold(Poly::default(), |acc, p| acc.plus(&axes_elems(c, &p.axes)));
    CostReport {
        nodes,
        blocks,
        total,
    }
}

/// Memory of a run, in bytes, from the plan's liveness under bound sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Largest set of simultaneously live values in an inference forward pass.
    pub peak_forward_bytes: u128,
    /// Training: parameters, their gradients, stored activations, plus the forward peak.
    pub peak_training_bytes: u128,
}

/// Peak memory under `b`.
pub fn memory(
    c: &Circuit,
    plan: &Plan,
    b: &Bindings,
    bytes: u64,
    report: &CostReport,
) -> Result<Memory, ExecError> {
    let sizes = resolve_sizes(c, b)?;
    let elems = |v: crate::ir::ValueId| -> u128 {
        c.value(v)
            .ty
            .axes
            .iter()
            .map(|a| sizes[a.ix()] as u128)
            .product()
    };
    let mut live: u128 = c.inputs.iter().map(|v| elems(*v)).sum();
    let mut peak = live;
    for (i, n) in plan.order.iter().enumerate() {
        let node = c.node(*n);
        live += node.outputs.iter().map(|v| elems(*v)).sum::<u128>();
        peak = peak.max(live);
        // free what this node was the last to read
        for v in node
            .inputs
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
        {
            if plan.last_use[v.ix()] == i {
                live -= elems(*v);
            }
        }
    }
    let bound = report
        .total
        .bind(b, bytes)
        .map_err(|source| ExecError::Size {
            axis: "(cost)".into(),
            source,
        })?;
    Ok(Memory {
        peak_forward_bytes: peak * bytes as u128,
        peak_training_bytes: 2 * bound.params * bytes as u128
            + bound.saved_bytes
            + peak * bytes as u128,
    })
}

/// A complete bound report, as written by `neurocircuits diagram cost --json`.
#[derive(Clone, Debug, Serialize)]
pub struct CostSummary {
    /// Circuit name.
    pub circuit: String,
    /// The bindings used.
    pub bindings: BTreeMap<String, i64>,
    /// Parameter count.
    pub params: u128,
    /// Matmul/conv FLOPs, forward (FlopCounterMode convention).
    pub flops_forward: u128,
    /// Matmul/conv FLOPs, backward (input gradients included).
    pub flops_backward: u128,
    /// All operations, forward.
    pub ops_forward: u128,
    /// All operations, backward.
    pub ops_backward: u128,
    /// Bytes stored for training.
    pub saved_activation_bytes: u128,
    /// Bytes moved in the forward pass.
    pub moved_bytes: u128,
    /// Peak memory.
    pub memory: Memory,
    /// Symbolic formulas of the totals.
    pub formulas: BTreeMap<String, String>,
    /// Per block name: bound costs.
    pub blocks: Vec<(String, BoundCost)>,
    /// Per node: name, kind and bound costs.
    pub nodes: Vec<(String, String, BoundCost)>,
}

/// Binds a whole report.
pub fn summarize(c: &Circuit, b: &Bindings, bytes: u64) -> Result<CostSummary, ExecError> {
    let r = cost(c);
    let wrap = |source: SizeError| ExecError::Size {
        axis: "(cost)".into(),
        source,
    };
    let t = r.total.bind(b, bytes).map_err(wrap)?;
    let memory = memory(c, &crate::exec::plan(c), b, bytes, &r)?;
    let mut formulas = BTreeMap::new();
    formulas.insert("params".into(), r.total.params.to_string());
    formulas.insert("flops_forward".into(), r.total.flops_fwd.to_string());
    formulas.insert("flops_backward".into(), r.total.flops_bwd.to_string());
    formulas.insert("ops_forward".into(), r.total.ops_fwd.to_string());
    formulas.insert("saved_elements".into(), r.total.saved.to_string());
    Ok(CostSummary {
        circuit: c.name.clone(),
        bindings: b.clone(),
        params: t.params,
        flops_forward: t.flops_forward,
        flops_backward: t.flops_backward,
        ops_forward: t.ops_forward,
        ops_backward: t.ops_backward,
        saved_activation_bytes: t.saved_bytes,
        moved_bytes: t.moved_bytes,
        memory,
        formulas,
        blocks: r
            .blocks
            .iter()
            .map(|(n, k)| Ok((n.clone(), k.bind(b, bytes).map_err(wrap)?)))
            .collect::<Result<_, ExecError>>()?,
        nodes: r
            .nodes
            .iter()
            .map(|(n, k)| {
                Ok((
                    c.node(*n).name.clone(),
                    c.node(*n).op.kind().to_string(),
                    k.bind(b, bytes).map_err(wrap)?,
                ))
            })
            .collect::<Result<_, ExecError>>()?,
    })
}
