use crate::builder::{BuildError, Builder, WindowSpec};
use crate::ir::{AxisId, AxisKind as K, Circuit, ReduceKind, ValueId};
use crate::size::SizeExpr;

type R<T> = Result<T, BuildError>;

fn bn_relu(b: &mut Builder, name: &str, x: ValueId, c: AxisId) -> R<ValueId> {
    let y = b.batch_norm(&format!("{name}.bn"), x, &[c])?;
    b.relu(&format!("{name}.relu"), y)
}

/// The residual component: 1×1 (stride s) n0→nb, BN-ReLU, 3×3 nb→nb, BN-ReLU, 1×1 nb→n1.
#[allow(clippy::too_many_arguments)]
fn component(
    b: &mut Builder,
    x: ValueId,
    n0: AxisId,
    nb: AxisId,
    nb2: AxisId,
    n1: AxisId,
    sp: (AxisId, AxisId),
    out: (AxisId, AxisId),
    s: i64,
) -> R<ValueId> {
    let one = WindowSpec::new(1).stride(s);
    let y = b.conv_to(
        "conv1",
        x,
        n0,
        nb,
        &[(sp.0, out.0, one), (sp.1, out.1, one)],
        true,
    )?;
    let y = bn_relu(b, "act1", y, nb)?;
    let (y, _) = b.conv(
        "conv3",
        y,
        nb,
        nb2,
        &[(out.0, WindowSpec::same(3)), (out.1, WindowSpec::same(3))],
        1,
        true,
    )?;
    let y = bn_relu(b, "act2", y, nb2)?;
    let (y, _) = b.conv(
        "conv1b",
        y,
        nb2,
        n1,
        &[(out.0, WindowSpec::new(1)), (out.1, WindowSpec::new(1))],
        1,
        true,
    )?;
    Ok(y)
}

/// `Block(s, N)`: BN-ReLU, the residual component plus a strided 1×1 projection shortcut,
/// then N − 1 identity residual components, each with its own weights.
#[allow(clippy::too_many_arguments)]
fn block(
    b: &mut Builder,
    name: &str,
    x: ValueId,
    n0: AxisId,
    (stage, n1_size): (usize, &str),
    sp: (AxisId, AxisId),
    s: i64,
    depth: u32,
) -> R<(ValueId, AxisId, (AxisId, AxisId))> {
    // the paper's n_μ for the widths, n_b for the bottleneck, H_μ, W_μ for the grid of stage μ
    let n1 = b.axis(&format!("n_{stage}"), n1_size, K::Feature)?;
    let nb = b.axis(
        &format!("nb_{stage}"),
        &format!("({n1_size})/4"),
        K::Feature,
    )?;
    let nb2 = b.axis(
        &format!("nb'_{stage}"),
        &format!("({n1_size})/4"),
        K::Feature,
    )?;
    let out = if s == 1 {
        sp
    } else {
        let o = |b: &mut Builder, a: AxisId, base: &str| {
            let e = WindowSpec::new(1)
                .stride(s)
                .output_size(&b.circuit().axis(a).size);
            b.axis_expr(&format!("{base}_{stage}"), e, K::Spatial)
        };
        (o(b, sp.0, "H"), o(b, sp.1, "W"))
    };
    b.begin_block(name, 0, 1, false);
    let a = bn_relu(b, "pre", x, n0)?;
    let r = component(b, a, n0, nb, nb2, n1, sp, out, s)?;
    let one = WindowSpec::new(1).stride(s);
    let p = b.conv_to(
        "shortcut",
        a,
        n0,
        n1,
        &[(sp.0, out.0, one), (sp.1, out.1, one)],
        true,
    )?;
    let mut x = b.add("add", r, p)?;
    b.end_block()?;
    for i in 1..depth {
        b.begin_block("Identity", i - 1, depth - 1, false);
        let a = bn_relu(b, "pre", x, n1)?;
        let nb = b.axis(
            &format!("nb_{stage}"),
            &format!("({n1_size})/4"),
            K::Feature,
        )?;
        let nb2 = b.axis(
            &format!("nb'_{stage}"),
            &format!("({n1_size})/4"),
            K::Feature,
        )?;
        let r = component(b, a, n1, nb, nb2, n1, out, out, 1)?;
        x = b.add("add", x, r)?;
        b.end_block()?;
    }
    Ok((x, n1, out))
}

/// The identity ResNet of Fig. 26 as drawn: ★3 3→16, Block(1,N) 16→64, Block(2,N) 64→128,
/// Block(2,N) 128→256, BN-ReLU, 8×8 average pool, `L₊` → 10, softmax; N = 3, with
/// 1 + (N − 1) residual components per block, each with its own weights. 314,698 parameters.
pub fn resnet() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("resnet");
        b.size("b", Some(2));
        b.size("H", Some(32));
        b.size("n", Some(16));
        let depth = 3;
        let n = b.axis("b", "b", K::Batch)?;
        let c = b.axis("c", "3", K::Feature)?;
        let hh = b.axis("H", "H", K::Spatial)?;
        let ww = b.axis("W", "H", K::Spatial)?;
        let n0 = b.axis("n_0", "n", K::Feature)?;
        b.constraint(crate::size::Constraint::Divides(
            SizeExpr::Lit(32),
            SizeExpr::sym("H"),
        ));
        let x = b.input("image", &[n, c, hh, ww]);
        let (x, _) = b.conv(
            "stem",
            x,
            c,
            n0,
            &[(hh, WindowSpec::same(3)), (ww, WindowSpec::same(3))],
            1,
            true,
        )?;
        let (x, n1, sp) = block(&mut b, "Block(1,N)", x, n0, (1, "4*n"), (hh, ww), 1, depth)?;
        let (x, n2, sp) = block(&mut b, "Block(2,N)", x, n1, (2, "8*n"), sp, 2, depth)?;
        let (x, n3, sp) = block(&mut b, "Block(2,N)'", x, n2, (3, "16*n"), sp, 2, depth)?;
        let x = bn_relu(&mut b, "final", x, n3)?;
        let pool = WindowSpec::new(8).stride(8);
        let (x, pp) = b.window("pool", x, &[(sp.0, pool), (sp.1, pool)])?;
        let pooled = [
            (pp[0].0, "H_p"),
            (pp[1].0, "W_p"),
            (pp[0].1, "kH_p"),
            (pp[1].1, "kW_p"),
        ];
        let x = b.reduce(
            "mean",
            x,
            ReduceKind::Mean,
            &[pp[0].0, pp[0].1, pp[1].0, pp[1].1],
        )?;
        let o = b.axis("o", "10", K::Feature)?;
        let x = b.linear("head", x, &[n3], &[o], true)?;
        let y = b.softmax("softmax", x, &[o])?;
        b.output(y);
        let mut c = b.finish()?;
        super::name_kernels(&mut c);
        for (a, name) in pooled {
            super::rename(&mut c, a, name);
        }
        Ok(c)
    })())
}
