use crate::builder::{BuildError, Builder, WindowSpec};
use crate::ir::{AxisKind as K, Circuit, Func};

/// The convolution family in one circuit: a strided 3×3, a dilated 3×3, a grouped 3×3
/// (4 groups), a depthwise 3×3 (groups = channels) and a transposed 2×2 stride-2 convolution.
pub fn conv_family() -> Circuit {
    super::built(build())
}

fn build() -> Result<Circuit, BuildError> {
    let mut b = Builder::new("conv");
    for (s, v) in [("b", 2), ("c", 8), ("H", 16)] {
        b.size(s, Some(v));
    }
    let n = b.axis("b", "b", K::Batch)?;
    let c0 = b.axis("c0", "c", K::Feature)?;
    let c1 = b.axis("c1", "2*c", K::Feature)?;
    let c2 = b.axis("c2", "2*c", K::Feature)?;
    let c3 = b.axis("c3", "2*c", K::Feature)?;
    let c4 = b.axis("c4", "2*c", K::Feature)?;
    let c5 = b.axis("c5", "c", K::Feature)?;
    let hh = b.axis("H", "H", K::Spatial)?;
    let ww = b.axis("W", "H", K::Spatial)?;
    let x = b.input("x", &[n, c0, hh, ww]);
    let s = WindowSpec::same(3).stride(2);
    let (x, sp) = b.conv("strided", x, c0, c1, &[(hh, s), (ww, s)], 1, true)?;
    let x = b.relu("relu1", x)?;
    let d = WindowSpec::new(3).dilation(2).padding(2);
    let (x, _) = b.conv("dilated", x, c1, c2, &[(sp[0], d), (sp[1], d)], 1, true)?;
    let x = b.relu("relu2", x)?;
    let g = WindowSpec::same(3);
    let (x, _) = b.conv("grouped", x, c2, c3, &[(sp[0], g), (sp[1], g)], 4, true)?;
    let x = b.relu("relu3", x)?;
    let (x, _) = b.conv("depthwise", x, c3, c4, &[(sp[0], g), (sp[1], g)], 16, false)?;
    let x = b.map("tanh", x, Func::Tanh)?;
    let y = b.up_conv(
        "transposed",
        x,
        c4,
        c5,
        &[(sp[0], hh, 2, 2), (sp[1], ww, 2, 2)],
        true,
    )?;
    b.output(y);
    let mut c = b.finish()?;
    // the depthwise convolution's group and per-group channel axes, told apart by name from
    // the grouped convolution's
    let dw = c.nodes.iter().find_map(|n| match &n.op {
        crate::ir::Op::Linear(l) if n.name == "depthwise" => {
            Some((l.groups.clone(), l.inputs[0], l.outputs[0]))
        }
        _ => None,
    });
    if let Some((groups, gi, go)) = dw {
        for g in groups {
            super::rename(&mut c, g, "g_dw");
        }
        super::rename(&mut c, gi, "c3/g_dw");
        super::rename(&mut c, go, "c4/g_dw");
    }
    super::name_kernels(&mut c);
    Ok(c)
}
