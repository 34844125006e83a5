//! Scales and softmaxes drawn on the wires of a contraction, as the paper draws attention
//! (Figs. 20, 21 and 28): the scale `*k^-1/2` is an arrow on the scores as they leave the first
//! contraction, and the softmax ◁ sits on the wire that returns to the second, instead of each
//! taking a box and a column of its own.

use crate::model::{Item, Mark, Op, OpKind, WireId};

/// Folds, in `items` and the blocks they hold, every softmax whose outputs only a contraction
/// right after it reads, and every scale of everything a contraction right before it makes,
/// into that contraction's marks.
pub(crate) fn fold(items: &mut Vec<Item>) {
    for it in items.iter_mut() {
        if let Item::Block(b) = it {
            fold(&mut b.body);
        }
    }
    let mut i = 0;
    while i + 1 < items.len() {
        if let (Some(x), Some(m)) = (op(&items[i]), op(&items[i + 1]))
            && x.kind == OpKind::Softmax
            && is_contract(m)
            && x.outputs.iter().all(|w| m.inputs.contains(w))
            && !used_after(items, i + 2, &x.outputs)
        {
            let x = x.clone();
            if let Some(Item::Op(m)) = items.get_mut(i + 1) {
                for (w, o) in x.inputs.iter().zip(&x.outputs) {
                    if let Some(p) = m.inputs.iter().position(|v| v == o) {
                        m.inputs[p] = *w;
                        push_mark(m, false, p, OpKind::Softmax);
                    }
                }
            }
            items.remove(i);
            continue;
        }
        i += 1;
    }
    let mut i = 0;
    while i + 1 < items.len() {
        if let (Some(c), Some(s)) = (op(&items[i]), op(&items[i + 1]))
            && is_contract(c)
            && matches!(s.kind, OpKind::Scale(_))
            && s.inputs.len() == c.outputs.len()
            && s.inputs.iter().all(|w| c.outputs.contains(w))
        {
            let s = s.clone();
            let renamed: Vec<WireId> = (c.outputs.iter())
                .map(|w| {
                    s.inputs
                        .iter()
                        .position(|v| v == w)
                        .map_or(*w, |j| s.outputs[j])
                })
                .collect();
            // on the wire a later softmax marks, as the paper puts the arrow on the scores'
            // returning wire; else on the first
            let port = renamed
                .iter()
                .position(|w| softmaxed(&items[i + 2..], *w))
                .unwrap_or(0);
            if let Some(Item::Op(c)) = items.get_mut(i) {
                c.outputs = renamed;
                push_mark(c, true, port, s.kind);
            }
            items.remove(i + 1);
            continue;
        }
        i += 1;
    }
}

fn op(item: &Item) -> Option<&Op> {
    match item {
        Item::Op(o) => Some(o),
        _ => None,
    }
}

fn is_contract(o: &Op) -> bool {
    matches!(o.kind, OpKind::Contract { .. }) && !o.learned
}

fn push_mark(o: &mut Op, output: bool, port: usize, kind: OpKind) {
    if let OpKind::Contract { marks, .. } = &mut o.kind {
        marks.push(Mark { output, port, kind });
    }
}

/// Whether any item from `from` on touches one of `ws`.
fn used_after(items: &[Item], from: usize, ws: &[WireId]) -> bool {
    items.iter().skip(from).any(|it| touches(it, ws))
}

fn touches(it: &Item, ws: &[WireId]) -> bool {
    match it {
        Item::Op(o) => o.touches().any(|w| ws.contains(w)),
        Item::Block(b) => {
            b.inputs.iter().chain(&b.outputs).any(|w| ws.contains(w))
                || b.body.iter().any(|i| touches(i, ws))
        }
        Item::Permute(p) => p.iter().any(|w| ws.contains(w)),
    }
}

/// Whether a contraction in `items` marks wire `w` as softmaxed on its way in.
fn softmaxed(items: &[Item], w: WireId) -> bool {
    items.iter().filter_map(op).any(|o| match &o.kind {
        OpKind::Contract { marks, .. } => marks
            .iter()
            .any(|m| !m.output && m.kind == OpKind::Softmax && o.inputs.get(m.port) == Some(&w)),
        _ => false,
    })
}
