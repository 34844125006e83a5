//! Copies of copies drawn as one copy: where one copy of a value is copied again, maybe after
//! renaming one of its axes (self-attention gives its keys a token axis `s` of their own,
//! a renamed `t`), the two copies are one fork of three. The paper's Fig. 21 forks the
//! injected segment once for K and V; drawing the Q, K and V branches out of one fork lets
//! their linear maps stand in one column, as the paper stacks them, instead of a staircase.
//! The renamed branch leaves the fork with its new label (`s`), which the legend gives as
//! equal to the old (`s = t`).

use crate::model::{Item, Op, OpKind, WireId};

/// Merges every copy of a copy's output in `items` (and in the blocks it holds) into it.
pub(crate) fn merge(items: &mut Vec<Item>) {
    for it in items.iter_mut() {
        if let Item::Block(b) = it {
            merge(&mut b.body);
        }
    }
    while let Some((i, rename, j, group)) = find(items) {
        let Item::Op(second) = items[j].clone() else {
            return;
        };
        if let Item::Op(first) = &mut items[i] {
            let n = first.inputs.len();
            first
                .outputs
                .splice(group * n..(group + 1) * n, second.outputs.iter().copied());
        }
        items.remove(j);
        if let Some(r) = rename {
            items.remove(r);
        }
    }
}

fn op(item: &Item) -> Option<&Op> {
    match item {
        Item::Op(o) => Some(o),
        _ => None,
    }
}

/// How many items touch wire `w`, inside blocks too.
fn uses(items: &[Item], w: WireId) -> usize {
    items
        .iter()
        .map(|it| match it {
            Item::Op(o) => usize::from(o.touches().any(|x| *x == w)),
            Item::Block(b) => {
                usize::from(b.inputs.contains(&w) || b.outputs.contains(&w)) + uses(&b.body, w)
            }
            Item::Permute(ws) => usize::from(ws.contains(&w)),
        })
        .sum()
}

/// A copy (at `j`) of one output group (`group`) of an earlier copy (at `i`), maybe through a
/// rename (at the index given) of one of its wires.
fn find(items: &[Item]) -> Option<(usize, Option<usize>, usize, usize)> {
    for (j, it) in items.iter().enumerate() {
        let Some(second) = op(it).filter(|o| o.kind == OpKind::Copy) else {
            continue;
        };
        for (i, first) in items[..j].iter().enumerate() {
            let Some(first) = op(first).filter(|o| o.kind == OpKind::Copy) else {
                continue;
            };
            let n = first.inputs.len();
            if n == 0 || second.inputs.len() != n {
                continue;
            }
            // each input of the second copy, traced back through at most one rename
            let mut rename = None;
            let mut traced = Vec::with_capacity(n);
            for w in &second.inputs {
                if first.outputs.contains(w) {
                    traced.push(*w);
                    continue;
                }
                let r = (i + 1..j).find(|&r| {
                    op(&items[r]).is_some_and(|o| {
                        o.kind == OpKind::Reshape
                            && o.outputs == [*w]
                            && o.inputs.len() == 1
                            && first.outputs.contains(&o.inputs[0])
                    })
                });
                match (r, rename) {
                    (Some(r), None) => {
                        rename = Some(r);
                        traced.extend(op(&items[r]).map(|o| o.inputs[0]));
                    }
                    _ => break,
                }
            }
            let Some(group) = first.outputs.chunks(n).position(|g| g == traced) else {
                continue;
            };
            // the group and the renamed wire feed nothing else
            let keep: Vec<usize> = rename.into_iter().chain([j]).collect();
            let renamed = rename.and_then(|r| op(&items[r])).map(|o| o.outputs[0]);
            let own = |w: &WireId| {
                items
                    .iter()
                    .enumerate()
                    .skip(i + 1)
                    .filter(|(k, _)| !keep.contains(k))
                    .all(|(_, it)| uses(std::slice::from_ref(it), *w) == 0)
            };
            let renamed_ok = renamed.is_none_or(|w| own(&w));
            if traced.iter().all(own) && renamed_ok {
                return Some((i, rename, j, group));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Builder;

    #[test]
    fn a_copy_of_a_renamed_copy_is_one_fork() {
        let mut b = Builder::new("attention inputs");
        let x = b.input(&["t", "m"]);
        let (q, kv) = b.copy(&x);
        let s = b.wires(&["s"]);
        b.op_with(OpKind::Reshape, false, &kv[..1], &s);
        let (k, v) = b.copy(&[s[0], kv[1]]);
        let mut d = b.finish();
        merge(&mut d.items);
        assert_eq!(d.items.len(), 1, "{:?}", d.items);
        let Item::Op(fork) = &d.items[0] else {
            panic!()
        };
        let mut want = q.clone();
        want.extend(&k);
        want.extend(&v);
        assert_eq!(fork.outputs, want);
        assert_eq!(fork.inputs, x);
    }

    #[test]
    fn a_copy_used_elsewhere_stays() {
        let mut b = Builder::new("two readers");
        let x = b.input(&["m"]);
        let (_, kv) = b.copy(&x);
        b.op(OpKind::Elementwise("R".into()), false, &kv, &["m"]);
        b.copy(&kv);
        let mut d = b.finish();
        merge(&mut d.items);
        assert_eq!(d.items.len(), 3);
    }
}
