//! `ConvTranspose`: a linear map from input channels to output channels × kernel offsets,
//! then the transposed window ★ᵀ (strides, symmetric pads, dilations, output padding), then
//! the bias; grouped when `group > 1`.
//!
//! ONNX adds `x[i]·W[k]` at output position `stride·i + dilation·k − pad`, dropping positions
//! outside the result: exactly ★ᵀ of a window with that stride, dilation and padding whose
//! input axis is the result.

use super::{Dim, Importer, R, Val, Wire, attr_i, attr_ints, attr_s, node_err, unsupported};
use nc_diagram::ir::{AxisId, AxisKind, Init, WindowAxis};
use nc_diagram::size::SizeExpr;

impl Importer {
    pub(super) fn conv_transpose(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let (x, w, r) = self.conv_operands(n)?;
        let ns = r - 2;
        match attr_s(n, "auto_pad").as_deref() {
            None | Some("") | Some("NOTSET") | Some("VALID") => {}
            Some(p) => return unsupported(format!("auto_pad = {p}")),
        }
        if attr_ints(n, "output_shape").is_some() {
            return unsupported("output_shape (give pads and output_padding instead)");
        }
        let group = attr_i(n, "group", 1);
        let (cin, cout_g) = (w.dims[0], w.dims[1]);
        if group < 1 || cin % group as usize != 0 {
            return Err(node_err(
                n,
                format!("{cin} input channels do not split into {group} groups"),
            ));
        }
        let group = group as usize;
        let cout = cout_g * group;
        let kernel: Vec<i64> = w.dims[2..].iter().map(|&k| k as i64).collect();
        if let Some(ks) = attr_ints(n, "kernel_shape")
            && ks != kernel
        {
            return Err(node_err(
                n,
                format!("kernel_shape {ks:?} disagrees with the weight's {kernel:?}"),
            ));
        }
        let get = |name: &str, len: usize, default: i64| -> R<Vec<i64>> {
            let v = attr_ints(n, name).unwrap_or_else(|| vec![default; len]);
            if v.len() != len {
                return Err(node_err(
                    n,
                    format!("{name} has {} entries, {len} expected", v.len()),
                ));
            }
            Ok(v)
        };
        let strides = get("strides", ns, 1)?;
        let dil = get("dilations", ns, 1)?;
        let pads = get("pads", 2 * ns, 0)?;
        let opad = get("output_padding", ns, 0)?;
        let ci = self.axis_at(n, &x, 1, Some(cin))?;
        // per spatial axis: (position axis of x, result axis, kernel offset axis, geometry)
        let mut was = Vec::new();
        for i in 0..ns {
            let (s, d, p, op, k) = (strides[i], dil[i], pads[i], opad[i], kernel[i]);
            if s < 1 || d < 1 || p < 0 || k < 1 || !(0..s.max(d)).contains(&op) {
                return Err(node_err(
                    n,
                    format!(
                        "spatial axis {i}: stride {s}, dilation {d}, pad {p}, output_padding \
                         {op}, kernel {k} are not valid"
                    ),
                ));
            }
            if pads[i] != pads[i + ns] {
                return unsupported(format!(
                    "asymmetric padding {} and {} on spatial axis {i}",
                    pads[i],
                    pads[i + ns]
                ));
            }
            let pos = self.axis_at(n, &x, 2 + i, None)?;
            let Some(len) = self.lit(pos) else {
                return unsupported("a transposed convolution over a symbolic size");
            };
            let res_len = s * (len - 1) + op + d * (k - 1) + 1 - 2 * p;
            // the window over the result must give back the input's length
            if res_len < 1 || (res_len + 2 * p - d * (k - 1) - 1) / s + 1 != len {
                return Err(node_err(
                    n,
                    format!("spatial axis {i}: the result would have {res_len} positions"),
                ));
            }
            let kind = self.kind(pos);
            let base = self.b.circuit().axes[pos.ix()].name.clone();
            let res = self.new_axis(&format!("{base}'"), SizeExpr::Lit(res_len), kind);
            let ko = self.new_axis(&format!("k{base}"), SizeExpr::Lit(k), AxisKind::Kernel);
            was.push(WindowAxis {
                input: res,
                output: pos,
                kernel: ko,
                stride: s,
                dilation: d,
                padding: p,
            });
        }
        let co = self.new_axis("c", SizeExpr::Lit(cout as i64), AxisKind::Feature);
        let ks: Vec<AxisId> = was.iter().map(|w| w.kernel).collect();
        let z = if group == 1 {
            let mut outs = vec![co];
            outs.extend(&ks);
            let z = self.b.linear(label, x.v, &[ci], &outs, false)?;
            // ONNX's weight is (c_in, c_out, kernel…), the parameter's axes likewise
            let pa = self.param_axes(&format!("{label}.W"))?;
            self.fill(format!("{label}.W"), pa, w.dims.clone(), w.data.clone());
            z
        } else {
            let g = self.new_axis("g", SizeExpr::Lit(group as i64), AxisKind::Head);
            let gi = self.new_axis("c", SizeExpr::Lit((cin / group) as i64), AxisKind::Feature);
            let go = self.new_axis("c", SizeExpr::Lit(cout_g as i64), AxisKind::Feature);
            let xs = self
                .b
                .reshape(&format!("{label}.split"), x.v, &[ci], &[g, gi])?;
            let mut outs = vec![go];
            outs.extend(&ks);
            let ins_w = self.b.weight_inputs(&[gi], &outs);
            let mut waxes = vec![g];
            waxes.extend(&ins_w);
            waxes.extend(&outs);
            let wp = self
                .b
                .param(&format!("{label}.W"), &waxes, Init::FanIn(vec![gi]));
            let z = self
                .b
                .grouped_linear(label, xs, &[g], &[gi], &outs, wp, None)?;
            // ONNX's (c_in, c_out/group, kernel…) is (group, c_in/group, c_out/group, kernel…)
            let mut dims = vec![group, cin / group];
            dims.extend_from_slice(&w.dims[1..]);
            self.fill(format!("{label}.W"), waxes, dims, w.data.clone());
            self.b
                .reshape(&format!("{label}.merge"), z, &[g, go], &[co])?
        };
        let mut y = self.b.window_t(&format!("{label}.win_t"), z, &was)?;
        if self.wire(n, 2).is_some() {
            let bc = self.konst(n, 2)?;
            if bc.data.len() != cout {
                return Err(node_err(
                    n,
                    format!("bias has {} entries, not {cout}", bc.data.len()),
                ));
            }
            let bn = format!("{label}.bias");
            let bv = self.b.learned_init(&bn, &[co], Init::Zeros)?;
            self.fill(format!("{bn}.value"), vec![co], vec![cout], bc.data);
            y = self.b.add(&format!("{label}.add_bias"), y, bv)?;
        }
        let mut dims = x.dims.clone();
        dims[1] = Dim::Axis(co);
        for (i, wa) in was.iter().enumerate() {
            dims[2 + i] = Dim::Axis(wa.input);
        }
        Ok(Wire::Val(Val { v: y, dims }))
    }
}

use crate::proto::NodeProto;
