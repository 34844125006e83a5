//! The window family: ★, ★ᵀ, convolutions (strided, dilated, grouped), crops and
//! transposed convolutions, built from windows and linear maps.

use super::{BuildError, Builder, R};
use crate::ir::*;
use crate::size::SizeExpr;

/// Geometry of one spatial axis of a window, before axes exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    /// Kernel size.
    pub kernel: i64,
    /// Stride.
    pub stride: i64,
    /// Dilation.
    pub dilation: i64,
    /// Zero padding per side.
    pub padding: i64,
}

impl WindowSpec {
    /// Kernel `k`, stride 1, no dilation, no padding.
    pub fn new(kernel: i64) -> Self {
        WindowSpec {
            kernel,
            stride: 1,
            dilation: 1,
            padding: 0,
        }
    }
    /// Kernel `k` with "same" padding (`(k−1)/2`).
    pub fn same(kernel: i64) -> Self {
        WindowSpec {
            kernel,
            stride: 1,
            dilation: 1,
            padding: (kernel - 1) / 2,
        }
    }
    /// With stride.
    pub fn stride(mut self, s: i64) -> Self {
        self.stride = s;
        self
    }
    /// With padding.
    pub fn padding(mut self, p: i64) -> Self {
        self.padding = p;
        self
    }
    /// With dilation.
    pub fn dilation(mut self, d: i64) -> Self {
        self.dilation = d;
        self
    }
    /// The output size of a window over `x`: ⌊(x + 2p − d(k−1) − 1)/s⌋ + 1.
    pub fn output_size(&self, x: &SizeExpr) -> SizeExpr {
        let reach = self.dilation * (self.kernel - 1) + 1 - 2 * self.padding;
        if self.stride == 1 {
            let c = 1 - reach;
            return if c >= 0 {
                x.add(&SizeExpr::Lit(c))
            } else {
                x.sub(&SizeExpr::Lit(-c))
            };
        }
        let num = if reach >= 0 {
            x.sub(&SizeExpr::Lit(reach))
        } else {
            x.add(&SizeExpr::Lit(-reach))
        };
        num.floor_div(&SizeExpr::Lit(self.stride))
            .add(&SizeExpr::Lit(1))
    }
}

impl Builder {
    /// Window ★ over the given spatial axes. Returns the value and, per spatial axis, its
    /// (output position, kernel offset) axes. A size-preserving window keeps the input axis.
    pub fn window(
        &mut self,
        name: &str,
        x: ValueId,
        spatial: &[(AxisId, WindowSpec)],
    ) -> R<(ValueId, Vec<(AxisId, AxisId)>)> {
        let op = self.scoped_name(name);
        self.need_real(&op, "window", x)?;
        let ids: Vec<AxisId> = spatial.iter().map(|s| s.0).collect();
        self.need_axes(&op, "window", x, &ids)?;
        let mut was = Vec::new();
        for (a, s) in spatial {
            if s.kernel < 1 || s.stride < 1 || s.dilation < 1 || (s.padding < 0 && s.kernel != 1) {
                return Err(BuildError::Invalid {
                    op,
                    kind: "window",
                    why: format!(
                        "kernel {}, stride {}, dilation {}, padding {} on axis {} are not valid",
                        s.kernel,
                        s.stride,
                        s.dilation,
                        s.padding,
                        self.label(*a)
                    ),
                });
            }
            let ax = self.c.axes[a.ix()].clone();
            let osize = s.output_size(&ax.size).bounded()?;
            let output = if osize == ax.size {
                *a
            } else {
                self.axis_expr(&format!("{}'", ax.name), osize, ax.kind)
            };
            let kernel = self.axis_expr(
                &format!("k{}", ax.name),
                SizeExpr::Lit(s.kernel),
                AxisKind::Kernel,
            );
            was.push(WindowAxis {
                input: *a,
                output,
                kernel,
                stride: s.stride,
                dilation: s.dilation,
                padding: s.padding,
            });
        }
        let v = self.window_with(name, x, &was)?;
        Ok((v, was.iter().map(|w| (w.output, w.kernel)).collect()))
    }

    /// Window ★ with fully specified axes (the checker verifies their sizes).
    pub fn window_with(&mut self, name: &str, x: ValueId, axes: &[WindowAxis]) -> R<ValueId> {
        let op = self.scoped_name(name);
        let mut out = Vec::new();
        for a in self.axes_of(x) {
            match axes.iter().find(|w| w.input == *a) {
                Some(w) => out.extend([w.output, w.kernel]),
                None => out.push(*a),
            }
        }
        self.need_axes(
            &op,
            "window",
            x,
            &axes.iter().map(|w| w.input).collect::<Vec<_>>(),
        )?;
        self.no_dups(&op, "window", &out)?;
        Ok(self.push(
            name,
            Op::Window(Window {
                axes: axes.to_vec(),
            }),
            vec![x],
            vec![out],
            vec![],
        )[0])
    }

    /// Transposed window ★ᵀ: `(…, output, kernel) → (…, input)` per [`WindowAxis`].
    pub fn window_t(&mut self, name: &str, x: ValueId, axes: &[WindowAxis]) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "window_t", x)?;
        let need: Vec<AxisId> = axes.iter().flat_map(|w| [w.output, w.kernel]).collect();
        self.need_axes(&op, "window_t", x, &need)?;
        let mut out = Vec::new();
        for a in self.axes_of(x) {
            if let Some(w) = axes.iter().find(|w| w.output == *a) {
                out.push(w.input);
            } else if !axes.iter().any(|w| w.kernel == *a) {
                out.push(*a);
            }
        }
        self.no_dups(&op, "window_t", &out)?;
        Ok(self.push(
            name,
            Op::WindowT(Window {
                axes: axes.to_vec(),
            }),
            vec![x],
            vec![out],
            vec![],
        )[0])
    }

    /// Convolution = window ★ then a learned linear map over channels × kernel offsets.
    /// With `groups > 1`, `c_in` and `c_out` are split into a group axis that the channel map
    /// is broadcast over. Returns the value and the new spatial axes.
    #[allow(clippy::too_many_arguments)]
    pub fn conv(
        &mut self,
        name: &str,
        x: ValueId,
        c_in: AxisId,
        c_out: AxisId,
        spatial: &[(AxisId, WindowSpec)],
        groups: i64,
        bias: bool,
    ) -> R<(ValueId, Vec<AxisId>)> {
        let (w, pairs) = self.window(&format!("{name}.win"), x, spatial)?;
        let mut kernels: Vec<AxisId> = pairs.iter().map(|p| p.1).collect();
        let y = if groups == 1 {
            let mut ins = vec![c_in];
            ins.append(&mut kernels);
            self.linear(name, w, &ins, &[c_out], bias)?
        } else {
            let g = self.axis_expr("g", SizeExpr::Lit(groups), AxisKind::Head);
            let gi_size = self.c.axes[c_in.ix()]
                .size
                .exact_div(&SizeExpr::Lit(groups));
            let go_size = self.c.axes[c_out.ix()]
                .size
                .exact_div(&SizeExpr::Lit(groups));
            let ci_name = format!("{}/g", self.c.axes[c_in.ix()].name);
            let co_name = format!("{}/g", self.c.axes[c_out.ix()].name);
            let gi = self.axis_expr(&ci_name, gi_size, AxisKind::Feature);
            let go = self.axis_expr(&co_name, go_size, AxisKind::Feature);
            let split = self.reshape(&format!("{name}.split"), w, &[c_in], &[g, gi])?;
            let mut ins = vec![gi];
            ins.append(&mut kernels);
            // the channel map is indexed by the group axis: one weight per group
            let ins_w = self.weight_inputs(&ins, &[go]);
            let mut waxes = vec![g];
            waxes.extend(&ins_w);
            waxes.push(go);
            let wp = self.param(&format!("{name}.W"), &waxes, Init::FanIn(ins.clone()));
            let bp =
                bias.then(|| self.param(&format!("{name}.b"), &[g, go], Init::FanIn(ins.clone())));
            let y = self.grouped_linear(name, split, &[g], &ins, &[go], wp, bp)?;
            self.reshape(&format!("{name}.merge"), y, &[g, go], &[c_out])?
        };
        Ok((y, pairs.iter().map(|p| p.0).collect()))
    }

    /// Convolution whose output spatial axes are given (so two branches can share them).
    #[allow(clippy::too_many_arguments)]
    pub fn conv_to(
        &mut self,
        name: &str,
        x: ValueId,
        c_in: AxisId,
        c_out: AxisId,
        spatial: &[(AxisId, AxisId, WindowSpec)],
        bias: bool,
    ) -> R<ValueId> {
        let mut was = Vec::new();
        for (i, o, s) in spatial {
            let nm = self.c.axes[i.ix()].name.clone();
            let kernel =
                self.axis_expr(&format!("k{nm}"), SizeExpr::Lit(s.kernel), AxisKind::Kernel);
            was.push(WindowAxis {
                input: *i,
                output: *o,
                kernel,
                stride: s.stride,
                dilation: s.dilation,
                padding: s.padding,
            });
        }
        let w = self.window_with(&format!("{name}.win"), x, &was)?;
        let mut ins = vec![c_in];
        ins.extend(was.iter().map(|w| w.kernel));
        self.linear(name, w, &ins, &[c_out], bias)
    }

    /// Center crop: axis `input` loses `offset` positions on each side, giving `output`.
    pub fn crop(
        &mut self,
        name: &str,
        x: ValueId,
        spatial: &[(AxisId, AxisId, i64)],
    ) -> R<ValueId> {
        let mut was = Vec::new();
        for (i, o, off) in spatial {
            let nm = self.c.axes[i.ix()].name.clone();
            let kernel = self.axis_expr(&format!("k{nm}"), SizeExpr::Lit(1), AxisKind::Kernel);
            was.push(WindowAxis {
                input: *i,
                output: *o,
                kernel,
                stride: 1,
                dilation: 1,
                padding: -off,
            });
        }
        let w = self.window_with(name, x, &was)?;
        let ks: Vec<AxisId> = was.iter().map(|w| w.kernel).collect();
        self.reduce(&format!("{name}.squeeze"), w, ReduceKind::Sum, &ks)
    }

    /// Transposed convolution (up-sampling): a linear map `c_in → c_out × kernel offsets`,
    /// then ★ᵀ onto the given result axes, then a bias over `c_out` (as PyTorch's).
    /// `spatial` lists (position axis on `x`, result axis, kernel, stride).
    pub fn up_conv(
        &mut self,
        name: &str,
        x: ValueId,
        c_in: AxisId,
        c_out: AxisId,
        spatial: &[(AxisId, AxisId, i64, i64)],
        bias: bool,
    ) -> R<ValueId> {
        let mut outs = vec![c_out];
        let mut was = Vec::new();
        for (pos, res, k, s) in spatial {
            let nm = self.c.axes[res.ix()].name.clone();
            let kernel = self.axis_expr(&format!("k{nm}"), SizeExpr::Lit(*k), AxisKind::Kernel);
            outs.push(kernel);
            was.push(WindowAxis {
                input: *res,
                output: *pos,
                kernel,
                stride: *s,
                dilation: 1,
                padding: 0,
            });
        }
        let z = self.linear(name, x, &[c_in], &outs, false)?;
        let y = self.window_t(&format!("{name}.win_t"), z, &was)?;
        if !bias {
            return Ok(y);
        }
        let b = self.learned_init(&format!("{name}.bias"), &[c_out], Init::FanIn(outs.clone()))?;
        self.add(&format!("{name}.add_bias"), y, b)
    }

    /// Renames an axis (a reshape of one axis into another of the same size).
    pub fn rename(&mut self, name: &str, x: ValueId, from: AxisId, to: AxisId) -> R<ValueId> {
        self.reshape(name, x, &[from], &[to])
    }
}
