//! The cost overlay's text: each box's FLOPs and bytes kept for backward, and each block's
//! sum over what it holds.

use crate::model::{Item, Tally};

/// The cost overlay lines of a tally.
pub(crate) fn cost_lines(t: Tally) -> Vec<String> {
    let mut lines = vec![format!("{}FLOP", si(t.flops))];
    if t.kept > 0 {
        lines.push(format!("{}B kept", si(t.kept)));
    }
    lines
}

/// Gives every block the summed cost of what it holds (all its repetitions), for the box it
/// is drawn as when collapsed; returns the sum of `items`.
pub(crate) fn sum_blocks(items: &mut [Item]) -> Tally {
    let mut total = Tally::default();
    for it in items {
        let t = match it {
            Item::Op(op) => op.tally.unwrap_or_default(),
            Item::Block(b) => {
                let t = sum_blocks(&mut b.body);
                b.cost = cost_lines(t);
                t
            }
            Item::Permute(_) => Tally::default(),
        };
        total.flops += t.flops;
        total.kept += t.kept;
    }
    total
}

/// Numbers with SI prefixes, three significant digits.
fn si(v: u128) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let x = v as f64;
    for (s, p) in [("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)] {
        if x >= p {
            let y = x / p;
            let digits = if y >= 100.0 {
                0
            } else if y >= 10.0 {
                1
            } else {
                2
            };
            return format!("{y:.digits$} {s}");
        }
    }
    format!("{v} ")
}
