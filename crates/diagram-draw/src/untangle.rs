//! Crossing reduction: where each regrouping puts the wires it gathers, and in which order a
//! copy lays out its copies.
//!
//! Before an operation, a regrouping brings its input wires together; by default they go
//! where the first of them lies. Any other place among the remaining wires is just as
//! correct, and often crosses fewer wires on the way (a branch joining from below gathers
//! below, a residual stays at the edge). The order of a copy's copies is free in the same
//! way. [`placement`] improves these choices one at a time by local moves, each scored on
//! the laid-out drawing: no extra column and no parallel maps split apart, then fewer
//! crossings, then a narrower drawing. Every candidate is a full layout, so the search is
//! bounded ([`MAX_LAYOUTS`], [`MAX_WORK`]) and deterministic.

use crate::LayoutOptions;
use crate::flatten::{Placement, flatten_placed};
use crate::model::Diagram;
use crate::stats::Stats;

/// Most layouts one search may try.
const MAX_LAYOUTS: usize = 80;

/// Layouts times columns one search may spend.
const MAX_WORK: usize = 2000;

/// Most passes over all choices.
const PASSES: usize = 2;

/// Operation columns, and the fullest column kept as full (parallel maps keep sharing one,
/// as the paper stacks them), then crossings, then width in tenths of a pixel: lower is
/// better.
fn score(d: &Diagram, opt: &LayoutOptions, placed: &Placement) -> (usize, usize, usize, i64) {
    let (scene, (columns, fullest)) = crate::layout::layout_counted(d, opt, placed);
    let s = Stats::of(&scene);
    #[allow(clippy::cast_possible_truncation, reason = "canvas widths")]
    (
        columns,
        usize::MAX - fullest,
        s.crossings,
        // the width in one row: a wrapped drawing's widest row hides the others' widths
        (scene.natural_width * 10.0).round() as i64,
    )
}

/// Permutations tried per copy (all of them up to four copies).
const MAX_ORDERS: usize = 24;

/// The placement of regroupings and copies that [`crate::layout::layout`] draws; see the
/// module documentation. Each choice in turn tries every option (every place among the
/// remaining wires; every order of a copy's copies), and a move is kept only when it strictly
/// improves the score; passes repeat while one improves.
pub(crate) fn placement(d: &Diagram, opt: &LayoutOptions) -> Placement {
    let mut placed = Placement::default();
    let first = flatten_placed(d, &opt.expand, opt.depth, &placed);
    if first.regroupings.is_empty() && first.copies.iter().all(|k| *k < 2) {
        return placed;
    }
    let mut best = score(d, opt, &placed);
    // a large drawing (every block expanded) gets fewer tries: the work is bounded
    let budget = (MAX_WORK / first.events.len().max(1)).clamp(1, MAX_LAYOUTS);
    let mut tried = 1;
    for _pass in 0..PASSES {
        let start = best;
        let mut g = 0;
        loop {
            let now = flatten_placed(d, &opt.expand, opt.depth, &placed);
            let copies = now.copies.len();
            // copies first, then regroupings (whose counts shift as earlier choices move)
            let options = if g < copies {
                (1..=now.copies[g]).product::<usize>().min(MAX_ORDERS)
            } else if let Some(&n) = now.regroupings.get(g - copies) {
                n + 1
            } else {
                break;
            };
            for at in 0..options {
                if tried >= budget {
                    return placed;
                }
                let mut p = placed.clone();
                if g < copies {
                    p.copy.insert(g, at);
                } else {
                    p.regroup.insert(g - copies, at);
                }
                if p == placed {
                    continue;
                }
                tried += 1;
                let s = score(d, opt, &p);
                if s < best {
                    best = s;
                    placed = p;
                }
            }
            g += 1;
        }
        if best == start {
            break;
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use crate::flatten::permutation;

    #[test]
    fn permutations_are_lexicographic() {
        let all: Vec<Vec<usize>> = (0..6).map(|i| permutation(3, i)).collect();
        assert_eq!(
            all,
            [
                [0, 1, 2],
                [0, 2, 1],
                [1, 0, 2],
                [1, 2, 0],
                [2, 0, 1],
                [2, 1, 0]
            ]
        );
        assert_eq!(permutation(1, 0), [0]);
    }
}
