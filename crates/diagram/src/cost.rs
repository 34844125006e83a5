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

pub use crate::error::human_bytes;
use crate::exec::{ExecError, resolve_sizes};
use crate::ir::{Circuit, NodeId};
pub use crate::op_cost::{BoundCost, OpCost};
use crate::ops::{self, axes_elems};
use crate::size::{Bindings, Poly, SizeError};
use serde::Serialize;
use std::collections::BTreeMap;

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

/// When each value is last needed in a forward pass: what an inference run keeps live, and
/// so its peak memory ([`Memory::peak_forward_bytes`]). Shape-independent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Liveness {
    /// Nodes in execution order.
    pub order: Vec<NodeId>,
    /// For each value, the position in `order` of its last consumer (`usize::MAX` for outputs).
    pub last_use: Vec<usize>,
}

/// The liveness of the circuit's values in its stored node order.
pub fn liveness(c: &Circuit) -> Liveness {
    let order: Vec<NodeId> = c.nodes.iter().map(|n| n.id).collect();
    let mut last_use = vec![0usize; c.values.len()];
    for (i, n) in c.nodes.iter().enumerate() {
        for v in &n.inputs {
            last_use[v.ix()] = i;
        }
    }
    for v in &c.outputs {
        last_use[v.ix()] = usize::MAX;
    }
    Liveness { order, last_use }
}

/// Memory of a run, in bytes, under bound sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Largest set of simultaneously live values in an inference forward pass.
    pub peak_forward_bytes: u128,
    /// Training: parameters, their gradients, stored activations, plus the forward peak.
    pub peak_training_bytes: u128,
    /// What this crate's executor holds at its peak for one forward and backward pass
    /// ([`crate::exec::forward`] keeps every value on its tape): the caller's inputs, the
    /// tape, parameters and their gradients, and at the worst backward step the live
    /// gradients plus that node's new input gradients and temporaries (counted as two more
    /// copies of its inputs and outputs). An estimate that errs high.
    pub executor_bytes: u128,
}

/// Checked `u128` arithmetic for memory sums, each overflow naming what was being summed.
struct Tally {
    bytes: u128,
}

impl Tally {
    fn err(what: &str) -> ExecError {
        ExecError::Cost {
            quantity: "memory",
            cause: SizeError::Overflow(what.to_string()),
        }
    }
    fn add(a: u128, b: u128, what: &str) -> Result<u128, ExecError> {
        a.checked_add(b).ok_or_else(|| Self::err(what))
    }
    fn mul(a: u128, b: u128, what: &str) -> Result<u128, ExecError> {
        a.checked_mul(b).ok_or_else(|| Self::err(what))
    }
    fn bytes(&self, elems: u128, what: &str) -> Result<u128, ExecError> {
        Self::mul(elems, self.bytes, what)
    }
}

/// Peak memory under `b`.
pub fn memory(
    c: &Circuit,
    live_at: &Liveness,
    b: &Bindings,
    bytes: u64,
    report: &CostReport,
) -> Result<Memory, ExecError> {
    let sizes = resolve_sizes(c, b)?;
    let count = |axes: &[crate::ir::AxisId], name: &str| -> Result<u128, ExecError> {
        axes.iter().try_fold(1u128, |n, a| {
            Tally::mul(
                n,
                sizes[a.ix()] as u128,
                &format!("the element count of `{name}`"),
            )
        })
    };
    let elems: Vec<u128> = c
        .values
        .iter()
        .map(|v| count(&v.ty.axes, &v.name))
        .collect::<Result<_, _>>()?;
    let sum = |vs: &[crate::ir::ValueId], what: &str| -> Result<u128, ExecError> {
        vs.iter()
            .try_fold(0u128, |s, v| Tally::add(s, elems[v.ix()], what))
    };
    let t = Tally {
        bytes: u128::from(bytes),
    };
    let what = "the live values of the forward pass";
    let inputs = sum(&c.inputs, what)?;
    let mut live = inputs;
    let mut peak = live;
    for (i, n) in live_at.order.iter().enumerate() {
        let node = c.node(*n);
        live = Tally::add(live, sum(&node.outputs, what)?, what)?;
        peak = peak.max(live);
        // free what this node was the last to read
        for v in node
            .inputs
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
        {
            if live_at.last_use[v.ix()] == i {
                live -= elems[v.ix()];
            }
        }
    }
    let bound = report.total.bind(b, bytes)?;
    let params_bytes = t.bytes(bound.params, "the parameters")?;
    let peak_bytes = t.bytes(peak, what)?;
    let what = "the training memory";
    let training = Tally::add(
        Tally::add(Tally::mul(2, params_bytes, what)?, bound.saved_bytes, what)?,
        peak_bytes,
        what,
    )?;
    Ok(Memory {
        peak_forward_bytes: peak_bytes,
        peak_training_bytes: training,
        executor_bytes: executor_bytes(c, &elems, inputs, bound.params, &t)?,
    })
}

/// [`Memory::executor_bytes`]: walks the backward pass as [`crate::backprop::backward`] runs
/// it, a value's gradient living from its first consumer's step to its producer's.
fn executor_bytes(
    c: &Circuit,
    elems: &[u128],
    inputs: u128,
    params: u128,
    t: &Tally,
) -> Result<u128, ExecError> {
    let what = "the executor's memory";
    let tape = elems
        .iter()
        .try_fold(0u128, |s, e| Tally::add(s, *e, what))?;
    let mut has_grad = vec![false; c.values.len()];
    let mut live: u128 = 0;
    for v in &c.outputs {
        if !has_grad[v.ix()] {
            has_grad[v.ix()] = true;
            live = Tally::add(live, elems[v.ix()], what)?;
        }
    }
    let mut worst = live;
    for node in c.nodes.iter().rev() {
        if !node.outputs.iter().any(|v| has_grad[v.ix()]) {
            continue;
        }
        let ins = node
            .inputs
            .iter()
            .try_fold(0u128, |s, v| Tally::add(s, elems[v.ix()], what))?;
        let outs = node
            .outputs
            .iter()
            .try_fold(0u128, |s, v| Tally::add(s, elems[v.ix()], what))?;
        // new input gradients, plus temporaries: an einsum's backward copies its operands
        // and the output gradient and folds them pairwise, about two of each
        let temps = Tally::mul(2, Tally::add(ins, outs, what)?, what)?;
        let step = Tally::add(Tally::add(live, ins, what)?, temps, what)?;
        worst = worst.max(step);
        for v in &node.outputs {
            if has_grad[v.ix()] && !c.inputs.contains(v) {
                has_grad[v.ix()] = false;
                live -= elems[v.ix()];
            }
        }
        for v in &node.inputs {
            if !has_grad[v.ix()] {
                has_grad[v.ix()] = true;
                live = Tally::add(live, elems[v.ix()], what)?;
            }
        }
    }
    let total = [inputs, tape, Tally::mul(2, params, what)?, worst]
        .into_iter()
        .try_fold(0u128, |s, e| Tally::add(s, e, what))?;
    t.bytes(total, what)
}

/// Refuses a run whose [`Memory::executor_bytes`] estimate exceeds `limit` bytes.
///
/// Call it before [`crate::exec::forward`] when the sizes come from a user, so that an
/// oversized binding is a clear error instead of an allocation failure.
pub fn check_memory(
    c: &Circuit,
    b: &Bindings,
    bytes: u64,
    limit: u128,
) -> Result<Memory, ExecError> {
    let m = memory(c, &liveness(c), b, bytes, &cost(c))?;
    if m.executor_bytes > limit {
        return Err(ExecError::OverMemory {
            estimate: m.executor_bytes,
            limit,
        });
    }
    Ok(m)
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
    let t = r.total.bind(b, bytes)?;
    let memory = memory(c, &liveness(c), b, bytes, &r)?;
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
            .map(|(n, k)| Ok((n.clone(), k.bind(b, bytes)?)))
            .collect::<Result<_, ExecError>>()?,
        nodes: r
            .nodes
            .iter()
            .map(|(n, k)| {
                Ok((
                    c.node(*n).name.clone(),
                    c.node(*n).op.kind().to_string(),
                    k.bind(b, bytes)?,
                ))
            })
            .collect::<Result<_, ExecError>>()?,
    })
}
