use crate::builder::{BuildError, Builder};
use crate::ir::{AxisKind as K, Circuit};

/// The MLP of Fig. 19: flatten 28×28, `L₊` 784→512, ReLU, `L₊` 512→512, ReLU, `L₊` 512→10,
/// softmax. 669,706 parameters.
pub fn mlp() -> Circuit {
    super::built(build())
}

fn build() -> Result<Circuit, BuildError> {
    let mut b = Builder::new("mlp");
    b.size("b", Some(1));
    let n = b.axis("b", "b", K::Batch)?;
    let h = b.axis("h", "28", K::Spatial)?;
    let w = b.axis("w", "28", K::Spatial)?;
    let p = b.axis("p", "784", K::Feature)?;
    let f1 = b.axis("f1", "512", K::Feature)?;
    let f2 = b.axis("f2", "512", K::Feature)?;
    let o = b.axis("o", "10", K::Feature)?;
    let x = b.input("x", &[n, h, w]);
    let x = b.reshape("flatten", x, &[h, w], &[p])?;
    let x = b.linear("L1", x, &[p], &[f1], true)?;
    let x = b.relu("relu1", x)?;
    let x = b.linear("L2", x, &[f1], &[f2], true)?;
    let x = b.relu("relu2", x)?;
    let x = b.linear("L3", x, &[f2], &[o], true)?;
    let y = b.softmax("softmax", x, &[o])?;
    b.output(y);
    b.finish()
}
