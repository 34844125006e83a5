//! Convolutions drawn as the paper's bold `★k`: a window followed by the learned linear map
//! over its kernel offsets (and the channels) is one learned operation from `(c, x̄)` to
//! `(c', x̄')`, so the kernel wire `k²` between them is not drawn. A grouped convolution (window,
//! split of the channels into groups, grouped map, merge) and a transposed one (map to channels
//! and kernel offsets, then the transposed window) fuse the same way.

use std::collections::BTreeMap;

use nc_diagram::ir::{AxisId, Circuit, NodeId, Op, ValueId, WindowAxis};

use crate::model::OpKind;

/// Nodes drawn as one convolution box.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    /// Its nodes, in order; the box is drawn at the last.
    pub nodes: Vec<NodeId>,
    /// The value it reads.
    pub input: ValueId,
    /// The value it makes.
    pub output: ValueId,
    /// The input axes it acts on: the channels and the grid.
    pub acts: Vec<AxisId>,
    /// The box.
    pub kind: OpKind,
}

fn kind(c: &Circuit, w: &[WindowAxis], groups: Option<AxisId>, transposed: bool) -> OpKind {
    let first = w.first();
    let size = |a: AxisId| c.axis(a).size.to_string();
    OpKind::Window {
        kernel: first.map(|x| size(x.kernel)).unwrap_or_default(),
        stride: first
            .filter(|x| x.stride > 1)
            .map(|x| x.stride.to_string())
            .unwrap_or_default(),
        dilation: first
            .filter(|x| x.dilation > 1)
            .map(|x| x.dilation.to_string())
            .unwrap_or_default(),
        groups: groups.map(size).unwrap_or_default(),
        transposed,
    }
}

/// The one reader of a value, if it has exactly one.
fn only_reader(c: &Circuit, v: ValueId) -> Option<NodeId> {
    let r = c.consumers(v);
    (r.len() == 1 && !c.outputs.contains(&v)).then(|| r[0])
}

/// Every fused convolution, by the node it is drawn at.
pub(crate) fn convs(c: &Circuit) -> BTreeMap<NodeId, Group> {
    let mut out = BTreeMap::new();
    for (i, n) in c.nodes.iter().enumerate() {
        let next = |k: usize| c.nodes.get(i + k);
        match &n.op {
            Op::Window(w) => {
                let kernels: Vec<AxisId> = w.axes.iter().map(|x| x.kernel).collect();
                let Some(&v) = n.outputs.first() else {
                    continue;
                };
                let Some(l) = next(1).filter(|l| only_reader(c, v) == Some(l.id)) else {
                    continue;
                };
                let grid: Vec<AxisId> = w.axes.iter().map(|x| x.input).collect();
                match &l.op {
                    // window, then the map over channels and kernel offsets
                    Op::Linear(lin)
                        if lin.groups.is_empty()
                            && kernels.iter().all(|k| lin.inputs.contains(k)) =>
                    {
                        let chans: Vec<AxisId> = lin
                            .inputs
                            .iter()
                            .filter(|a| !kernels.contains(a))
                            .copied()
                            .collect();
                        if chans.len() != 1 || l.params.is_empty() {
                            continue;
                        }
                        out.insert(
                            l.id,
                            Group {
                                nodes: vec![n.id, l.id],
                                input: n.inputs[0],
                                output: l.outputs[0],
                                acts: chans.iter().chain(&grid).copied().collect(),
                                kind: kind(c, &w.axes, None, false),
                            },
                        );
                    }
                    // window, split of the channels, grouped map, merge
                    Op::Reshape(r) if r.from.len() == 1 && r.to.len() == 2 => {
                        let (from, to) = (&r.from, &r.to);
                        let (Some(g), Some(m)) = (next(2), next(3)) else {
                            continue;
                        };
                        let split_out = l.outputs[0];
                        let ok = only_reader(c, split_out) == Some(g.id)
                            && only_reader(c, g.outputs[0]) == Some(m.id)
                            && matches!(&g.op, Op::Linear(gl) if gl.groups.len() == 1)
                            && matches!(&m.op, Op::Reshape(_));
                        if !ok {
                            continue;
                        }
                        out.insert(
                            m.id,
                            Group {
                                nodes: vec![n.id, l.id, g.id, m.id],
                                input: n.inputs[0],
                                output: m.outputs[0],
                                acts: from.iter().chain(&grid).copied().collect(),
                                kind: kind(c, &w.axes, Some(to[0]), false),
                            },
                        );
                    }
                    _ => {}
                }
            }
            // the map to channels and kernel offsets, then the transposed window
            Op::Linear(lin) if lin.groups.is_empty() && !n.params.is_empty() => {
                let (inputs, outputs) = (&lin.inputs, &lin.outputs);
                let Some(&v) = n.outputs.first() else {
                    continue;
                };
                let Some(t) = next(1).filter(|t| only_reader(c, v) == Some(t.id)) else {
                    continue;
                };
                let Op::WindowT(w) = &t.op else { continue };
                let kernels: Vec<AxisId> = w.axes.iter().map(|x| x.kernel).collect();
                if !kernels.iter().all(|k| outputs.contains(k)) {
                    continue;
                }
                let positions: Vec<AxisId> = w.axes.iter().map(|x| x.output).collect();
                let mut acts: Vec<AxisId> = inputs.iter().chain(&positions).copied().collect();
                let mut nodes = vec![n.id, t.id];
                let mut input = n.inputs[0];
                // regroupings the map reads through (the heads merged, the tokens made a grid
                // again) are drawn as the box reading the axes before them, as Fig. 28 does
                let taken: Vec<NodeId> =
                    out.values().flat_map(|g: &Group| g.nodes.clone()).collect();
                while let Some(r) = c.value(input).producer.map(|p| c.node(p)) {
                    let Op::Reshape(rs) = &r.op else { break };
                    if only_reader(c, input) != Some(nodes[0])
                        || r.block != n.block
                        || taken.contains(&r.id)
                        || !rs.to.iter().any(|a| acts.contains(a))
                    {
                        break;
                    }
                    acts.retain(|a| !rs.to.contains(a));
                    acts.extend(&rs.from);
                    nodes.insert(0, r.id);
                    input = r.inputs[0];
                }
                let mut output = t.outputs[0];
                // a learned bias added right after: the box is `L₊`-like, one learned map
                if let Some(add) = bias_add(c, i + 2, output) {
                    nodes.extend(&add);
                    output = c.node(add[2]).outputs[0];
                }
                out.insert(
                    *nodes.last().unwrap_or(&t.id),
                    Group {
                        nodes,
                        input,
                        output,
                        acts,
                        kind: kind(c, &w.axes, None, true),
                    },
                );
            }
            _ => {}
        }
    }
    out
}

/// The nodes from `at` that add a learned bias to `v`, its only reader: the constant `1`, the
/// learned map from it and the sum.
fn bias_add(c: &Circuit, at: usize, v: ValueId) -> Option<[NodeId; 3]> {
    let (one, map, add) = (c.nodes.get(at)?, c.nodes.get(at + 1)?, c.nodes.get(at + 2)?);
    let scalar = matches!(one.op, Op::Constant(_))
        && one.inputs.is_empty()
        && one.outputs.iter().all(|o| c.value(*o).ty.axes.is_empty());
    let learned = matches!(&map.op, Op::Linear(_))
        && !map.params.is_empty()
        && map.inputs == one.outputs
        && only_reader(c, map.outputs[0]) == Some(add.id);
    let sums = matches!(add.op, Op::Add)
        && add.inputs.len() == 2
        && add.inputs.contains(&v)
        && add.inputs.contains(&map.outputs[0])
        && only_reader(c, v) == Some(add.id);
    (scalar && learned && sums && one.block == add.block).then_some([one.id, map.id, add.id])
}
