//! The backward pass, derived from the circuit by the paper's rules: nodes run in reverse,
//! each applying its reverse derivative (a copy becomes a sum, a linear map its transpose,
//! elementwise maps and softmax use what the forward stored). Gradients reaching one value
//! along several wires (implicit copies) and one parameter from several uses (sharing) add.

use crate::exec::{Bound, ExecError, Params, Tape};
use crate::ir::Circuit;
use crate::ops::{self, Ctx};
use crate::tensor::{Real, Tensor, all_finite};

/// Gradients with respect to the circuit inputs and the parameters.
#[derive(Clone, Debug)]
pub struct Gradients<T> {
    /// Per circuit input, row-major in its type's axis order (None for index inputs).
    pub inputs: Vec<Option<Tensor<T>>>,
    /// Per parameter, row-major in its axis order.
    pub params: Vec<Tensor<T>>,
}

fn accumulate<T: Real>(slot: &mut Option<Tensor<T>>, g: Tensor<T>) {
    match slot {
        None => *slot = Some(g),
        Some(a) => a.add_assign_tensor(&g),
    }
}

/// Back-propagates `out_grads` (one per circuit output) through the tape.
pub fn backward<T: Real>(
    c: &Circuit,
    bound: &Bound,
    params: &Params<T>,
    tape: &Tape<T>,
    out_grads: &[Tensor<T>],
) -> Result<Gradients<T>, ExecError> {
    if out_grads.len() != c.outputs.len() {
        return Err(ExecError::Grad(format!(
            "{} output gradients for {} outputs",
            out_grads.len(),
            c.outputs.len()
        )));
    }
    let mut grads: Vec<Option<Tensor<T>>> = vec![None; c.values.len()];
    for (v, g) in c.outputs.iter().zip(out_grads) {
        accumulate(&mut grads[v.ix()], g.clone());
    }
    let mut pgrads: Vec<Option<Tensor<T>>> = vec![None; c.params.len()];
    // gradients checked finite and not summed since (the seeds are not checked)
    let mut finite = vec![false; c.values.len()];
    for node in c.nodes.iter().rev() {
        let dys: Vec<Option<&Tensor<T>>> = node
            .outputs
            .iter()
            .map(|v| grads[v.ix()].as_ref())
            .collect();
        if dys.iter().all(Option::is_none) {
            continue;
        }
        let cx = Ctx::new(c, bound, node);
        let xs: Vec<&Tensor<T>> = node
            .inputs
            .iter()
            .map(|v| tape.values[v.ix()].as_ref())
            .collect::<Option<_>>()
            .ok_or_else(|| ExecError::Grad(format!("op `{}`: tape is incomplete", node.name)))?;
        let ys: Vec<&Tensor<T>> = node
            .outputs
            .iter()
            .map(|v| tape.values[v.ix()].as_ref())
            .collect::<Option<_>>()
            .ok_or_else(|| ExecError::Grad(format!("op `{}`: tape is incomplete", node.name)))?;
        let ps: Vec<&Tensor<T>> = node.params.iter().map(|p| &params[p.ix()]).collect();
        let g = ops::backward(&cx, &xs, &ps, &ys, &dys);
        // copies of gradients already known finite need no second scan
        let implied = ops::backward_keeps_finite(&node.op)
            && node
                .outputs
                .iter()
                .all(|v| grads[v.ix()].is_none() || finite[v.ix()]);
        // a value's gradient is complete once its producer ran: free it so the allocator
        // hands its memory to the next gradients instead of the OS
        for v in &node.outputs {
            if !c.inputs.contains(v) {
                grads[v.ix()] = None;
            }
        }
        for (v, gi) in node.inputs.iter().zip(g.inputs) {
            if let Some(gi) = gi
                && c.value(*v).ty.dtype == crate::ir::DType::Real
            {
                if !implied && !all_finite(&gi.data) {
                    return Err(ExecError::NonFinite {
                        op: format!("{} (backward)", node.name),
                        value: c.value(*v).name.clone(),
                    });
                }
                // a sum of finite gradients may still overflow: only a lone one is known
                finite[v.ix()] = grads[v.ix()].is_none();
                accumulate(&mut grads[v.ix()], gi);
            }
        }
        for (p, gp) in node.params.iter().zip(g.params) {
            accumulate(&mut pgrads[p.ix()], gp);
        }
    }
    Ok(Gradients {
        inputs: c
            .inputs
            .iter()
            .map(|v| {
                grads[v.ix()]
                    .as_ref()
                    .map(|t| t.to_layout(&c.value(*v).ty.axes))
            })
            .collect(),
        params: c
            .params
            .iter()
            .zip(pgrads)
            .map(|(p, g)| {
                g.map_or_else(
                    || Tensor::zeros(p.axes.clone(), bound.dims(&p.axes)),
                    |t| t.to_layout(&p.axes),
                )
            })
            .collect(),
    })
}
