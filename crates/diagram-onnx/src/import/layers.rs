//! Layers with weights or windows: Gemm, MatMul, Conv, the norms, pooling and reductions.

use super::{
    Dim, Importer, R, Val, Wire, attr_f, attr_i, attr_ints, attr_s, node_err, unsupported,
};
use crate::proto::NodeProto;
use nc_diagram::builder::WindowSpec;
use nc_diagram::ir::{AxisId, AxisKind, Init, Op, ReduceKind, ValueId};
use nc_diagram::size::SizeExpr;

impl Importer {
    /// The axis at `dims[i]`, which must be carried and of literal size `want` (if given).
    pub(super) fn axis_at(
        &self,
        n: &NodeProto,
        x: &Val,
        i: usize,
        want: Option<usize>,
    ) -> R<AxisId> {
        let Some(&Dim::Axis(a)) = x.dims.get(i) else {
            return unsupported(format!("dimension {i} of the input is size 1 or missing"));
        };
        if let Some(w) = want
            && self.lit(a) != Some(w as i64)
        {
            return Err(node_err(
                n,
                format!(
                    "input dimension {i} is {} but the weight expects {w}",
                    self.dim_size(Dim::Axis(a))
                ),
            ));
        }
        Ok(a)
    }

    /// Base name of a new feature axis: channels for images, `m` for sequences, else `f`.
    pub(super) fn feature_base(rank: usize) -> &'static str {
        match rank {
            0..=2 => "f",
            3 => "m",
            _ => "c",
        }
    }

    pub(super) fn gemm(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let a = self.val(n, 0)?;
        if attr_i(n, "transA", 0) != 0 {
            return unsupported("transA = 1");
        }
        if a.dims.len() != 2 {
            return Err(node_err(
                n,
                format!("input A has rank {}, Gemm needs 2", a.dims.len()),
            ));
        }
        let w = self.konst(n, 1)?;
        if w.dims.len() != 2 {
            return Err(node_err(
                n,
                format!("input B has rank {}, Gemm needs 2", w.dims.len()),
            ));
        }
        let trans_b = attr_i(n, "transB", 0) != 0;
        let (alpha, beta) = (
            attr_f(n, "alpha", 1.0) as f64,
            attr_f(n, "beta", 1.0) as f64,
        );
        let (k, m) = if trans_b {
            (w.dims[1], w.dims[0])
        } else {
            (w.dims[0], w.dims[1])
        };
        let ka = self.axis_at(n, &a, 1, Some(k))?;
        let c = match self.wire(n, 2) {
            Some(_) => Some(self.konst(n, 2)?),
            None => None,
        };
        let o = self.new_axis("f", SizeExpr::Lit(m as i64), AxisKind::Feature);
        let v = self.b.linear(label, a.v, &[ka], &[o], c.is_some())?;
        let pa = self.param_axes(&format!("{label}.W"))?;
        let (axes, dims) = if trans_b {
            (vec![pa[1], pa[0]], vec![m, k])
        } else {
            (vec![pa[0], pa[1]], vec![k, m])
        };
        self.fill(
            format!("{label}.W"),
            axes,
            dims,
            w.data.iter().map(|x| alpha * x).collect(),
        );
        if let Some(c) = c {
            let data: Vec<f64> = match c.data.len() {
                1 => vec![beta * c.data[0]; m],
                l if l == m => c.data.iter().map(|x| beta * x).collect(),
                _ => return unsupported("a bias C that is not a vector over the outputs"),
            };
            self.fill(format!("{label}.b"), vec![o], vec![m], data);
        }
        Ok(Wire::Val(Val {
            v,
            dims: vec![a.dims[0], Dim::Axis(o)],
        }))
    }

    pub(super) fn matmul(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let a = self.val(n, 0)?;
        if let Some(Wire::Val(b)) = self.wire(n, 1).cloned() {
            return self.matmul_vals(n, label, a, b);
        }
        let w = self.konst(n, 1)?;
        if w.dims.len() != 2 || a.dims.len() < 2 {
            return unsupported("MatMul other than a value (rank ≥ 2) times a constant matrix");
        }
        let (k, m) = (w.dims[0], w.dims[1]);
        let last = a.dims.len() - 1;
        let ka = self.axis_at(n, &a, last, Some(k))?;
        let o = self.new_axis(
            Self::feature_base(a.dims.len()),
            SizeExpr::Lit(m as i64),
            AxisKind::Feature,
        );
        let v = self.b.linear(label, a.v, &[ka], &[o], false)?;
        let pa = self.param_axes(&format!("{label}.W"))?;
        self.fill(format!("{label}.W"), pa, vec![k, m], w.data);
        let mut dims = a.dims.clone();
        dims[last] = Dim::Axis(o);
        Ok(Wire::Val(Val { v, dims }))
    }

    /// A product of two computed values (attention scores, attention-weighted values): an
    /// einsum over the contracted axis, broadcast over the leading dims.
    fn matmul_vals(&mut self, n: &NodeProto, label: &str, a: Val, b: Val) -> R<Wire> {
        let (ra, rb) = (a.dims.len(), b.dims.len());
        if ra < 2 || rb < 2 {
            return unsupported("MatMul of a vector");
        }
        let r = ra.max(rb);
        let pad = |d: &[Dim]| {
            let mut v = vec![Dim::One; r - d.len()];
            v.extend_from_slice(d);
            v
        };
        let (ad, mut bd) = (pad(&a.dims), pad(&b.dims));
        let mut bv = b.v;
        // the contracted axis, and the batch axes, are shared; B's column axis must differ
        // from A's row axis (Q·Kᵀ of one sequence gives query × key)
        let align = |me: &mut Self, j: usize, bd: &mut Vec<Dim>, bv: &mut ValueId| -> R<()> {
            if let (Dim::Axis(x), Dim::Axis(y)) = (ad[j], bd[j])
                && x != y
            {
                if me.dim_size(ad[j]) != me.dim_size(bd[j]) {
                    return Err(node_err(
                        n,
                        format!("dimension {j} differs between the operands"),
                    ));
                }
                *bv = me.b.rename(&format!("{label}.align{j}"), *bv, y, x)?;
                bd[j] = ad[j];
            }
            Ok(())
        };
        for j in 0..r - 2 {
            align(self, j, &mut bd, &mut bv)?;
        }
        // B's row (contracted) pairs with A's column
        let (ka, kb) = (ad[r - 1], bd[r - 2]);
        match (ka, kb) {
            (Dim::Axis(x), Dim::Axis(y)) if x != y => {
                if self.dim_size(ka) != self.dim_size(kb) {
                    return Err(node_err(n, "the contracted dimensions differ"));
                }
                bv = self.b.rename(&format!("{label}.align_k"), bv, y, x)?;
                bd[r - 2] = ka;
            }
            (Dim::Axis(_), Dim::Axis(_)) => {}
            _ => return unsupported("MatMul contracting a size-1 dimension"),
        }
        if let (Dim::Axis(m), Dim::Axis(c)) = (ad[r - 2], bd[r - 1])
            && m == c
        {
            let kind = self.kind(c);
            let fresh = self.new_axis("s", self.dim_size(bd[r - 1]), kind);
            bv = self.b.rename(&format!("{label}.cols"), bv, c, fresh)?;
            bd[r - 1] = Dim::Axis(fresh);
        }
        let name = |me: &Self, v: ValueId| -> String {
            me.b.circuit()
                .value(v)
                .ty
                .axes
                .iter()
                .map(|x| me.b.circuit().axes[x.ix()].name.clone())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut out: Vec<Dim> = (0..r - 2)
            .map(|j| if ad[j] != Dim::One { ad[j] } else { bd[j] })
            .collect();
        out.extend([ad[r - 2], bd[r - 1]]);
        let out_names: Vec<String> = out
            .iter()
            .filter_map(|d| d.axis())
            .map(|x| self.b.circuit().axes[x.ix()].name.clone())
            .collect();
        let sig = format!(
            "{}, {} -> {}",
            name(self, a.v),
            name(self, bv),
            out_names.join(" ")
        );
        let v = self.b.einsum(label, &sig, &[a.v, bv])?;
        Ok(Wire::Val(Val { v, dims: out }))
    }

    /// Kernel, stride, padding and dilation per spatial axis, from the ONNX attributes.
    fn window_specs(&self, n: &NodeProto, kernel: &[i64]) -> R<Vec<WindowSpec>> {
        let ns = kernel.len();
        match attr_s(n, "auto_pad").as_deref() {
            None | Some("") | Some("NOTSET") | Some("VALID") => {}
            Some(p) => return unsupported(format!("auto_pad = {p}")),
        }
        let strides = attr_ints(n, "strides").unwrap_or_else(|| vec![1; ns]);
        let dil = attr_ints(n, "dilations").unwrap_or_else(|| vec![1; ns]);
        let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 2 * ns]);
        if strides.len() != ns || dil.len() != ns || pads.len() != 2 * ns {
            return Err(node_err(
                n,
                format!(
                    "strides, dilations and pads must have {ns}, {ns} and {} entries",
                    2 * ns
                ),
            ));
        }
        (0..ns)
            .map(|i| {
                if pads[i] != pads[i + ns] {
                    return unsupported(format!(
                        "asymmetric padding {} and {} on spatial axis {i}",
                        pads[i],
                        pads[i + ns]
                    ));
                }
                Ok(WindowSpec::new(kernel[i])
                    .stride(strides[i])
                    .padding(pads[i])
                    .dilation(dil[i]))
            })
            .collect()
    }

    /// A convolution's input and constant weight, of the same rank ≥ 3.
    pub(super) fn conv_operands(&self, n: &NodeProto) -> R<(Val, crate::data::Const, usize)> {
        let x = self.val(n, 0)?;
        let w = self.konst(n, 1)?;
        let r = x.dims.len();
        if r < 3 || w.dims.len() != r {
            return Err(node_err(
                n,
                format!(
                    "input rank {r} and weight rank {} must match and be ≥ 3",
                    w.dims.len()
                ),
            ));
        }
        Ok((x, w, r))
    }

    pub(super) fn conv(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let (x, w, _) = self.conv_operands(n)?;
        let group = attr_i(n, "group", 1).max(1) as usize;
        let (cout, cin_g) = (w.dims[0], w.dims[1]);
        if cout % group != 0 {
            return Err(node_err(
                n,
                format!("{cout} output channels do not split into {group} groups"),
            ));
        }
        let kernel: Vec<i64> = w.dims[2..].iter().map(|&k| k as i64).collect();
        if let Some(ks) = attr_ints(n, "kernel_shape")
            && ks != kernel
        {
            return Err(node_err(
                n,
                format!("kernel_shape {ks:?} disagrees with the weight's {kernel:?}"),
            ));
        }
        let specs = self.window_specs(n, &kernel)?;
        let ci = self.axis_at(n, &x, 1, Some(cin_g * group))?;
        let mut spatial = Vec::new();
        for (i, s) in specs.into_iter().enumerate() {
            spatial.push((self.axis_at(n, &x, 2 + i, None)?, s));
        }
        let bias = match self.wire(n, 2) {
            Some(_) => Some(self.konst(n, 2)?),
            None => None,
        };
        let co = self.new_axis("c", SizeExpr::Lit(cout as i64), AxisKind::Feature);
        let (v, sp) = self
            .b
            .conv(label, x.v, ci, co, &spatial, group as i64, bias.is_some())?;
        let pa = self.param_axes(&format!("{label}.W"))?;
        let last = pa.len() - 1;
        let mut dims_w = w.dims.clone();
        let axes = if group == 1 {
            let mut a = vec![pa[last]];
            a.extend_from_slice(&pa[..last]);
            a
        } else {
            // weight rows are (group, channel in group): split cout
            dims_w.splice(0..1, [group, cout / group]);
            let mut a = vec![pa[0], pa[last]];
            a.extend_from_slice(&pa[1..last]);
            a
        };
        self.fill(format!("{label}.W"), axes, dims_w, w.data);
        if let Some(bc) = bias {
            if bc.data.len() != cout {
                return Err(node_err(
                    n,
                    format!("bias has {} entries, not {cout}", bc.data.len()),
                ));
            }
            let pb = self.param_axes(&format!("{label}.b"))?;
            let dims_b = if group == 1 {
                vec![cout]
            } else {
                vec![group, cout / group]
            };
            self.fill(format!("{label}.b"), pb, dims_b, bc.data);
        }
        let mut dims = x.dims.clone();
        dims[1] = Dim::Axis(co);
        for (i, a) in sp.into_iter().enumerate() {
            dims[2 + i] = Dim::Axis(a);
        }
        Ok(Wire::Val(Val { v, dims }))
    }

    /// Eval-mode batch norm: a per-channel scale and shift from the running statistics.
    pub(super) fn batch_norm(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        if attr_i(n, "training_mode", 0) != 0 || n.output.iter().skip(1).any(|o| !o.is_empty()) {
            return unsupported("training-mode batch norm (running statistics are updated)");
        }
        let x = self.val(n, 0)?;
        let eps = attr_f(n, "epsilon", 1e-5) as f64;
        let [g, b, m, var] = [1, 2, 3, 4].map(|i| self.konst(n, i));
        let (g, b, m, var) = (g?, b?, m?, var?);
        let c = g.data.len();
        if [&b, &m, &var].iter().any(|t| t.data.len() != c) {
            return Err(node_err(
                n,
                "scale, bias, mean and var must have the same length",
            ));
        }
        let ch = self.axis_at(n, &x, 1, Some(c))?;
        let s: Vec<f64> = (0..c)
            .map(|i| g.data[i] / (var.data[i] + eps).sqrt())
            .collect();
        let t: Vec<f64> = (0..c).map(|i| b.data[i] - m.data[i] * s[i]).collect();
        let sn = format!("{label}.scale");
        let sv = self.b.learned_init(&sn, &[ch], Init::Ones)?;
        self.fill(format!("{sn}.value"), vec![ch], vec![c], s);
        let y = self.b.mul(&format!("{label}.mul"), x.v, sv)?;
        let tn = format!("{label}.shift");
        let tv = self.b.learned_init(&tn, &[ch], Init::Zeros)?;
        self.fill(format!("{tn}.value"), vec![ch], vec![c], t);
        let v = self.b.add(label, y, tv)?;
        Ok(Wire::Val(Val { v, dims: x.dims }))
    }

    pub(super) fn layer_norm(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        if n.output.iter().skip(1).any(|o| !o.is_empty()) {
            return unsupported("LayerNormalization's mean and inverse-deviation outputs");
        }
        let x = self.val(n, 0)?;
        let ax = super::norm_axis(n, attr_i(n, "axis", -1), x.dims.len())?;
        let eps = attr_f(n, "epsilon", 1e-5) as f64;
        let stats: Vec<AxisId> = x.dims[ax..].iter().filter_map(|d| d.axis()).collect();
        let dims: Vec<usize> = stats
            .iter()
            .map(|a| self.lit(*a).unwrap_or(0) as usize)
            .collect();
        let count: usize = dims.iter().product();
        let scale = self.konst(n, 1)?;
        let shift = match self.wire(n, 2) {
            Some(_) => self.konst(n, 2)?.data,
            None => vec![0.0; count],
        };
        if scale.data.len() != count || shift.len() != count || dims.contains(&0) {
            return unsupported("scale or bias not over the normalised dimensions");
        }
        let v = self.b.norm(label, x.v, &stats, &stats, true, eps)?;
        self.fill(
            format!("{label}.gain"),
            stats.clone(),
            dims.clone(),
            scale.data,
        );
        self.fill(format!("{label}.shift"), stats, dims, shift);
        Ok(Wire::Val(Val { v, dims: x.dims }))
    }

    pub(super) fn pool(&mut self, n: &NodeProto, op: &str, label: &str) -> R<Wire> {
        let x = self.val(n, 0)?;
        if n.output.iter().skip(1).any(|o| !o.is_empty()) {
            return unsupported("MaxPool's Indices output");
        }
        if attr_i(n, "ceil_mode", 0) != 0 {
            return unsupported("ceil_mode = 1");
        }
        let kernel =
            attr_ints(n, "kernel_shape").ok_or_else(|| node_err(n, "kernel_shape is required"))?;
        if kernel.len() + 2 != x.dims.len() {
            return Err(node_err(
                n,
                "kernel_shape must have one entry per spatial axis",
            ));
        }
        let specs = self.window_specs(n, &kernel)?;
        let padded = specs.iter().any(|s| s.padding != 0);
        if padded && op == "AveragePool" && attr_i(n, "count_include_pad", 0) == 0 {
            return unsupported(
                "average pooling with padding that excludes the pad from the count",
            );
        }
        if padded && op == "MaxPool" && !self.non_negative(x.v) {
            // zero padding equals ONNX's −∞ padding only when no input is negative
            return unsupported("max pooling with padding of a value that may be negative");
        }
        let mut spatial = Vec::new();
        for (i, s) in specs.into_iter().enumerate() {
            spatial.push((self.axis_at(n, &x, 2 + i, None)?, s));
        }
        let (wv, pairs) = self.b.window(&format!("{label}.win"), x.v, &spatial)?;
        let kind = if op == "MaxPool" {
            ReduceKind::Max
        } else {
            ReduceKind::Mean
        };
        let ks: Vec<AxisId> = pairs.iter().map(|p| p.1).collect();
        let v = self.b.reduce(label, wv, kind, &ks)?;
        let mut dims = x.dims.clone();
        for (i, p) in pairs.into_iter().enumerate() {
            dims[2 + i] = Dim::Axis(p.0);
        }
        Ok(Wire::Val(Val { v, dims }))
    }

    /// Whether a value is the output of a ReLU.
    fn non_negative(&self, v: nc_diagram::ir::ValueId) -> bool {
        let c = self.b.circuit();
        c.value(v)
            .producer
            .is_some_and(|p| matches!(&c.nodes[p.ix()].op, Op::Map(nc_diagram::ir::Func::Relu)))
    }

    pub(super) fn global_pool(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let x = self.val(n, 0)?;
        self.reduce_dims(
            label,
            x,
            ReduceKind::Mean,
            (2..x_rank(n, self)?).collect(),
            true,
        )
    }

    pub(super) fn reduce(&mut self, n: &NodeProto, op: &str, label: &str) -> R<Wire> {
        let x = self.val(n, 0)?;
        let kind = match op {
            "ReduceSum" => ReduceKind::Sum,
            "ReduceMax" => ReduceKind::Max,
            _ => ReduceKind::Mean,
        };
        let axes_input = op == "ReduceSum" || self.opset >= 18;
        let axes = if axes_input {
            match self.wire(n, 1) {
                Some(_) => self.konst(n, 1)?.as_ints(),
                None => vec![],
            }
        } else {
            attr_ints(n, "axes").unwrap_or_default()
        };
        let r = x.dims.len();
        let axes: Vec<usize> = if axes.is_empty() {
            if attr_i(n, "noop_with_empty_axes", 0) != 0 {
                return Ok(Wire::Val(x));
            }
            (0..r).collect()
        } else {
            axes.iter()
                .map(|&a| super::norm_axis(n, a, r))
                .collect::<R<_>>()?
        };
        let keep = attr_i(n, "keepdims", 1) != 0;
        self.reduce_dims(label, x, kind, axes, keep)
    }

    fn reduce_dims(
        &mut self,
        label: &str,
        x: Val,
        kind: ReduceKind,
        at: Vec<usize>,
        keep: bool,
    ) -> R<Wire> {
        let over: Vec<AxisId> = at.iter().filter_map(|&i| x.dims[i].axis()).collect();
        let v = if over.is_empty() {
            x.v
        } else {
            self.b.reduce(label, x.v, kind, &over)?
        };
        let dims = x
            .dims
            .iter()
            .enumerate()
            .filter_map(|(i, d)| match (at.contains(&i), keep) {
                (false, _) => Some(*d),
                (true, true) => Some(Dim::One),
                (true, false) => None,
            })
            .collect();
        Ok(Wire::Val(Val { v, dims }))
    }
}

fn x_rank(n: &NodeProto, im: &Importer) -> R<usize> {
    let r = im.val(n, 0)?.dims.len();
    if r < 3 {
        return Err(node_err(
            n,
            format!("input rank {r}; GlobalAveragePool needs ≥ 3"),
        ));
    }
    Ok(r)
}
