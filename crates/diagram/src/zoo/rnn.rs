use crate::builder::{BuildError, Builder};
use crate::ir::{AxisKind as K, Circuit, Func};

/// A vanilla RNN cell: h' = tanh(W_x x + W_h h + b) over a batch.
pub fn rnn_cell() -> Circuit {
    super::built((|| -> Result<Circuit, BuildError> {
        let mut b = Builder::new("rnn_cell");
        for (s, v) in [("b", 4), ("i", 3), ("n", 32)] {
            b.size(s, Some(v));
        }
        let bb = b.axis("b", "b", K::Batch)?;
        let i = b.axis("i", "i", K::Feature)?;
        let n = b.axis("n", "n", K::Feature)?;
        let x = b.input("x", &[bb, i]);
        let h = b.input("h", &[bb, n]);
        let u = b.linear("W_x", x, &[i], &[n], true)?;
        let r = b.linear("W_h", h, &[n], &[n], false)?;
        let s = b.add("sum", u, r)?;
        let y = b.map("tanh", s, Func::Tanh)?;
        b.output(y);
        b.finish()
    })())
}
