use crate::builder::{BuildError, Builder, WindowSpec};
use crate::ir::{AxisId, AxisKind as K, Circuit, ReduceKind, ValueId, WindowAxis};

type R<T> = Result<T, BuildError>;

/// Two 3×3 convolutions with ReLU; returns the value, the grid after the first and after the
/// second.
type Grid = (AxisId, AxisId);

fn double_conv(
    b: &mut Builder,
    x: ValueId,
    c_in: AxisId,
    c_out: AxisId,
    sp: Grid,
    pad: bool,
) -> R<(ValueId, Grid, Grid)> {
    let s = if pad {
        WindowSpec::same(3)
    } else {
        WindowSpec::new(3)
    };
    let (y, o) = b.conv("conv_a", x, c_in, c_out, &[(sp.0, s), (sp.1, s)], 1, true)?;
    let y = b.relu("relu_a", y)?;
    let (y, o2) = b.conv("conv_b", y, c_out, c_out, &[(o[0], s), (o[1], s)], 1, true)?;
    let y = b.relu("relu_b", y)?;
    Ok((y, (o[0], o[1]), (o2[0], o2[1])))
}

/// 2×2 max-pool with stride 2 onto given axes.
fn pool(b: &mut Builder, x: ValueId, sp: (AxisId, AxisId), out: (AxisId, AxisId)) -> R<ValueId> {
    let k0 = b.axis("kp", "2", K::Kernel)?;
    let k1 = b.axis("kp", "2", K::Kernel)?;
    let w = b.window_with(
        "pool",
        x,
        &[
            WindowAxis {
                input: sp.0,
                output: out.0,
                kernel: k0,
                stride: 2,
                dilation: 1,
                padding: 0,
            },
            WindowAxis {
                input: sp.1,
                output: out.1,
                kernel: k1,
                stride: 2,
                dilation: 1,
                padding: 0,
            },
        ],
    )?;
    b.reduce("max", w, ReduceKind::Max, &[k0, k1])
}

/// The U-Net of Fig. 27 as drawn: four down blocks (double ★3 + ReLU, save C_λ, 2×2
/// max-pool), a middle, and three up blocks that load C₄, C₃, C₂. Legend: x̄_i = X·2^{1−i},
/// c₀ = 1, c_i = c·2^i, y = 2. C₁ is saved but never loaded (the checker's W002), and the
/// channel counts are twice Ronneberger's.
pub fn unet_drawn() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("unet");
        for (s, v) in [("b", 1), ("X", 512), ("c", 64)] {
            b.size(s, Some(v));
        }
        let n = b.axis("b", "b", K::Batch)?;
        let mut ch = vec![b.axis("c0", "1", K::Feature)?];
        let mut sp = Vec::new();
        for i in 1..=5 {
            ch.push(b.axis(&format!("c{i}"), &format!("c*{}", 1 << i), K::Feature)?);
            let d = 1 << (i - 1);
            let e = if d == 1 {
                "X".to_string()
            } else {
                format!("X/{d}")
            };
            sp.push((
                b.axis(&format!("x{i}"), &e, K::Spatial)?,
                b.axis(&format!("w{i}"), &e, K::Spatial)?,
            ));
        }
        let yax = b.axis("y", "2", K::Feature)?;
        let mut x = b.input("image", &[n, ch[0], sp[0].0, sp[0].1]);
        for l in 1..=4 {
            b.begin_block("Down", l as u32 - 1, 4, false);
            let (y, _, _) = double_conv(&mut b, x, ch[l - 1], ch[l], sp[l - 1], true)?;
            let y = b.save(&format!("C{l}"), y)?;
            x = pool(&mut b, y, sp[l - 1], sp[l])?;
            b.end_block()?;
        }
        b.begin_block("Middle", 0, 1, false);
        let (y, _, _) = double_conv(&mut b, x, ch[4], ch[5], sp[4], true)?;
        x = b.up_conv(
            "up",
            y,
            ch[5],
            ch[4],
            &[(sp[4].0, sp[3].0, 2, 2), (sp[4].1, sp[3].1, 2, 2)],
            true,
        )?;
        b.end_block()?;
        for l in 1..=3 {
            let lvl = 5 - l;
            b.begin_block("Up", l as u32 - 1, 3, false);
            let skip = b.load(&format!("C{lvl}"))?;
            let two = b.axis(
                &format!("2c{lvl}"),
                &format!("2*c*{}", 1 << lvl),
                K::Feature,
            )?;
            let cat = b.concat("concat", &[skip, x], &[ch[lvl], ch[lvl]], two)?;
            let (y, _, _) = double_conv(&mut b, cat, two, ch[lvl], sp[lvl - 1], true)?;
            x = b.up_conv(
                "up",
                y,
                ch[lvl],
                ch[lvl - 1],
                &[
                    (sp[lvl - 1].0, sp[lvl - 2].0, 2, 2),
                    (sp[lvl - 1].1, sp[lvl - 2].1, 2, 2),
                ],
                true,
            )?;
            b.end_block()?;
        }
        let (out, _) = b.conv(
            "final",
            x,
            ch[1],
            yax,
            &[(sp[0].0, WindowSpec::new(1)), (sp[0].1, WindowSpec::new(1))],
            1,
            true,
        )?;
        b.output(out);
        let mut c = b.finish()?;
        super::name_kernels(&mut c);
        Ok(c)
    })())
}

/// Ronneberger et al.'s U-Net: valid 3×3 convolutions, 2×2 max-pools, four levels with
/// c, 2c, 4c, 8c channels and 16c at the bottom, 2×2 up-convolutions, cropped skip
/// connections, and a final 1×1 to 2 classes. 31,030,658 parameters at c = 64.
pub fn unet_ronneberger() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("unet_ronneberger");
        for (s, v) in [("b", 1), ("S", 572), ("c", 64)] {
            b.size(s, Some(v));
        }
        let n = b.axis("b", "b", K::Batch)?;
        let c0 = b.axis("c0", "1", K::Feature)?;
        let ch: Vec<AxisId> = (0..5)
            .map(|i| b.axis(&format!("c{}", i + 1), &format!("c*{}", 1 << i), K::Feature))
            .collect::<R<_>>()?;
        let hh = b.axis("H", "S", K::Spatial)?;
        let ww = b.axis("W", "S", K::Spatial)?;
        let mut x = b.input("image", &[n, c0, hh, ww]);
        let mut sp = (hh, ww);
        let mut cin = c0;
        let mut skips = Vec::new();
        // each grid named by its level and step: H_2a is level 2 after its first convolution,
        // H_3u level 3 after up-sampling (the builder would stack a prime per window)
        let mut names: Vec<(Grid, String)> = Vec::new();
        #[allow(clippy::needless_range_loop)]
        for l in 0..4 {
            b.begin_block("Down", l as u32, 4, false);
            let (y, mid, o) = double_conv(&mut b, x, cin, ch[l], sp, false)?;
            names.push((mid, format!("{}a", l + 1)));
            names.push((o, format!("{}b", l + 1)));
            let y = b.save(&format!("C{}", l + 1), y)?;
            skips.push(o);
            let (w, pp) = b.window(
                "pool",
                y,
                &[
                    (o.0, WindowSpec::new(2).stride(2)),
                    (o.1, WindowSpec::new(2).stride(2)),
                ],
            )?;
            x = b.reduce("max", w, ReduceKind::Max, &[pp[0].1, pp[1].1])?;
            sp = (pp[0].0, pp[1].0);
            names.push((sp, format!("{}", l + 2)));
            cin = ch[l];
            b.end_block()?;
        }
        b.begin_block("Bottom", 0, 1, false);
        let (mut x, mid, mut o) = double_conv(&mut b, x, ch[3], ch[4], sp, false)?;
        names.push((mid, "5a".into()));
        names.push((o, "5b".into()));
        b.end_block()?;
        let offsets = [4, 16, 40, 88];
        for (j, l) in (0..4).rev().enumerate() {
            b.begin_block("Up", j as u32, 4, false);
            let res = |b: &mut Builder, a: AxisId| {
                let e = crate::size::SizeExpr::Lit(2).mul(&b.circuit().axis(a).size);
                let nm = format!("{}^", b.circuit().axis(a).name);
                b.axis_expr(&nm, e, K::Spatial)
            };
            let r = (res(&mut b, o.0), res(&mut b, o.1));
            let up = b.up_conv(
                "up",
                x,
                ch[l + 1],
                ch[l],
                &[(o.0, r.0, 2, 2), (o.1, r.1, 2, 2)],
                true,
            )?;
            let skip = b.load(&format!("C{}", l + 1))?;
            let s = skips[l];
            let cropped = b.crop(
                "crop",
                skip,
                &[(s.0, r.0, offsets[j]), (s.1, r.1, offsets[j])],
            )?;
            let two = b.axis("2c", &format!("c*{}", 2 << l), K::Feature)?;
            let cat = b.concat("concat", &[cropped, up], &[ch[l], ch[l]], two)?;
            let (y, mid, o2) = double_conv(&mut b, cat, two, ch[l], r, false)?;
            names.push((r, format!("{}u", l + 1)));
            names.push((mid, format!("{}ua", l + 1)));
            names.push((o2, format!("{}ub", l + 1)));
            x = y;
            o = o2;
            b.end_block()?;
        }
        let k = b.axis("classes", "2", K::Feature)?;
        let (out, _) = b.conv(
            "final",
            x,
            ch[0],
            k,
            &[(o.0, WindowSpec::new(1)), (o.1, WindowSpec::new(1))],
            1,
            true,
        )?;
        b.output(out);
        let mut c = b.finish()?;
        for ((h, w), tag) in names {
            super::rename(&mut c, h, &format!("H_{tag}"));
            super::rename(&mut c, w, &format!("W_{tag}"));
        }
        super::name_kernels(&mut c);
        Ok(c)
    })())
}
