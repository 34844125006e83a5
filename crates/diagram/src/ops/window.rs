//! The window ★ (an unlearned linear map unfolding spatial axes into output position × kernel
//! offset, like im2col) and its transpose ★ᵀ. Each is the other's backward.
//!
//! Both walk the same iteration space (see [`walk`]): the unfolded layout keeps the input's
//! storage order with each spatial axis replaced by its output axis, the kernel offsets after
//! the last spatial axis, and the rest axes stored inside the spatial ones (channels, for a
//! channels-last input) as an inner block that moves as one contiguous run. A convolution's
//! linear map then reads the unfolded tensor in place as an [positions × (kernel, channels)]
//! matrix.

use super::{Args, Ctx, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{AxisId, Circuit, Node, Window, WindowAxis};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};

/// The unfolded storage order for a spatial-side tensor stored in `x_storage`.
fn unfolded_order(x_storage: &[AxisId], ws: &[WindowAxis]) -> Vec<AxisId> {
    let spatial = |a: &AxisId| ws.iter().find(|w| w.input == *a);
    let last = x_storage
        .iter()
        .rposition(|a| spatial(a).is_some())
        .unwrap_or(0);
    let mut order: Vec<AxisId> = x_storage[..=last]
        .iter()
        .map(|a| spatial(a).map_or(*a, |w| w.output))
        .collect();
    order.extend(
        x_storage
            .iter()
            .filter_map(|a| spatial(a).map(|w| w.kernel)),
    );
    order.extend(&x_storage[last + 1..]);
    order
}

/// One loop of the walk: a rest axis (stepping both sides) or an output/kernel axis of
/// spatial axis `sp` (stepping the unfolded side; the spatial side's index is derived).
#[derive(Clone, Copy)]
enum Loop {
    Rest { x: usize, y: usize },
    Out { sp: usize, y: usize },
    Kern { sp: usize, y: usize },
}

/// The iteration space of ★ between a spatial-side tensor `x` (strides `x_of`) and an
/// unfolded tensor `y` (strides `y_of`), in the order [`unfolded_order`] gives.
struct Walk {
    loops: Vec<(usize, Loop)>,
    /// Per spatial axis: input size, stride, dilation, padding, and stride on the x side.
    spatial: Vec<(i64, i64, i64, i64, usize)>,
    /// The inner block: (size, x stride, y stride) per axis, outermost first.
    inner: Vec<(usize, usize, usize)>,
}

impl Walk {
    fn new<T: Real>(
        cx: &Ctx,
        ws: &[WindowAxis],
        x: &Tensor<T>,
        y: &Tensor<T>,
        x_storage: &[AxisId],
    ) -> Walk {
        let order = unfolded_order(x_storage, ws);
        let last = x_storage
            .iter()
            .rposition(|a| ws.iter().any(|w| w.input == *a));
        let n_inner = last.map_or(0, |l| x_storage.len() - l - 1);
        let stride = |t: &Tensor<T>, a: AxisId| t.pos(a).map_or(0, |i| t.strides[i]);
        let spatial = ws
            .iter()
            .map(|w| {
                (
                    cx.dim(w.input) as i64,
                    w.stride,
                    w.dilation,
                    w.padding,
                    stride(x, w.input),
                )
            })
            .collect();
        let split = order.len() - n_inner;
        let loops = order[..split]
            .iter()
            .map(|a| {
                let yd = stride(y, *a);
                let kind = if let Some(sp) = ws.iter().position(|w| w.output == *a) {
                    Loop::Out { sp, y: yd }
                } else if let Some(sp) = ws.iter().position(|w| w.kernel == *a) {
                    Loop::Kern { sp, y: yd }
                } else {
                    Loop::Rest {
                        x: stride(x, *a),
                        y: yd,
                    }
                };
                (cx.dim(*a), kind)
            })
            .collect();
        let inner = order[split..]
            .iter()
            .map(|a| (cx.dim(*a), stride(x, *a), stride(y, *a)))
            .collect();
        Walk {
            loops,
            spatial,
            inner,
        }
    }

    /// Calls `f(x_offset, y_offset)` for every inner block in the walk order; `x_offset` is
    /// None where the block falls in the padding.
    fn each_block(&self, mut f: impl FnMut(Option<usize>, usize)) {
        self.walk(self.loops.len(), None, |x, y, _| f(x, y));
    }

    /// Like [`Walk::each_block`] for contiguous blocks of `run` elements, calling
    /// `f(x_offset, y_offset, len)`, but when the innermost loop steps a kernel offset to the
    /// adjacent block on both sides (stride-1 rows of a channels-last input) its in-bounds
    /// offsets come as one run and its padding as at most two.
    fn each_run(&self, run: usize, mut f: impl FnMut(Option<usize>, usize, usize)) {
        let merge = match self.loops.last() {
            Some(&(nk, Loop::Kern { sp, y })) => {
                let (_, _, d, _, xs) = self.spatial[sp];
                (y == run && d as usize * xs == run).then_some((nk, sp))
            }
            _ => None,
        };
        let Some((nk, sp)) = merge else {
            return self.each_block(|x, y| f(x, y, run));
        };
        let (ni, s, d, p, xs) = self.spatial[sp];
        let nk_i = nk as i64;
        self.walk(self.loops.len() - 1, Some(sp), |x_off, y_off, pos| {
            // the kernel offsets k with 0 ≤ start + d·k < ni
            let start = s * pos[sp].0 - p;
            let lo = if start >= 0 { 0 } else { (-start + d - 1) / d }.min(nk_i);
            let hi = if start > ni - 1 {
                0
            } else {
                (ni - 1 - start) / d + 1
            }
            .clamp(lo, nk_i);
            match x_off {
                Some(xb) if lo < hi => {
                    let (lo, hi) = (lo as usize, hi as usize);
                    if lo > 0 {
                        f(None, y_off, lo * run);
                    }
                    let x0 = xb + (start + d * lo as i64) as usize * xs;
                    f(Some(x0), y_off + lo * run, (hi - lo) * run);
                    if hi < nk {
                        f(None, y_off + hi * run, (nk - hi) * run);
                    }
                }
                _ => f(None, y_off, nk * run),
            }
        });
    }

    /// The odometer over the first `n_loops` loops: calls `f(x_offset, y_offset, positions)`
    /// with the spatial axis `skip` (if any) left out of `x_offset`.
    fn walk(
        &self,
        n_loops: usize,
        skip: Option<usize>,
        mut f: impl FnMut(Option<usize>, usize, &[(i64, i64)]),
    ) {
        let r = n_loops;
        let mut idx = vec![0usize; r];
        let mut pos = vec![(0i64, 0i64); self.spatial.len()]; // (output, kernel) per axis
        let (mut x_rest, mut y_off) = (0usize, 0usize);
        if self.loops.iter().any(|(d, _)| *d == 0) {
            return;
        }
        loop {
            let mut x_off = Some(x_rest);
            for (a, ((ni, s, d, p, xs), (o, k))) in self.spatial.iter().zip(&pos).enumerate() {
                if skip == Some(a) {
                    continue;
                }
                let i = s * o + d * k - p;
                x_off = match x_off {
                    Some(b) if (0..*ni).contains(&i) => Some(b + i as usize * xs),
                    _ => None,
                };
            }
            f(x_off, y_off, &pos);
            // odometer, innermost loop first
            let mut j = r;
            loop {
                if j == 0 {
                    return;
                }
                j -= 1;
                let (dim, kind) = self.loops[j];
                idx[j] += 1;
                let wrap = idx[j] == dim;
                let steps = if wrap { dim - 1 } else { 1 };
                let sign_fwd = !wrap;
                let mv = |v: &mut usize, st: usize| {
                    if sign_fwd {
                        *v += st;
                    } else {
                        *v -= st * steps;
                    }
                };
                match kind {
                    Loop::Rest { x, y } => {
                        mv(&mut x_rest, x);
                        mv(&mut y_off, y);
                    }
                    Loop::Out { sp, y } => {
                        mv(&mut y_off, y);
                        pos[sp].0 = if wrap { 0 } else { pos[sp].0 + 1 };
                    }
                    Loop::Kern { sp, y } => {
                        mv(&mut y_off, y);
                        pos[sp].1 = if wrap { 0 } else { pos[sp].1 + 1 };
                    }
                }
                if !wrap {
                    break;
                }
                idx[j] = 0;
            }
        }
    }

    /// The inner block as one run: its length when it is contiguous on both sides.
    fn contiguous_run(&self) -> Option<usize> {
        let mut expect = 1;
        for (d, xs, ys) in self.inner.iter().rev() {
            if *d != 1 && (*xs != expect || *ys != expect) {
                return None;
            }
            expect *= d;
        }
        Some(expect)
    }

    /// Calls `f(x_offset, y_offset)` for every element of the inner block at `(x0, y0)`.
    fn each_inner(&self, x0: usize, y0: usize, f: &mut impl FnMut(usize, usize)) {
        fn rec(
            inner: &[(usize, usize, usize)],
            x: usize,
            y: usize,
            f: &mut impl FnMut(usize, usize),
        ) {
            match inner.split_first() {
                None => f(x, y),
                Some(((d, xs, ys), rest)) => {
                    for i in 0..*d {
                        rec(rest, x + i * xs, y + i * ys, f);
                    }
                }
            }
        }
        rec(&self.inner, x0, y0, f);
    }
}

/// The spatial-side axes of an unfolded tensor's storage order (kernels dropped, outputs
/// mapped back to inputs).
fn folded_order(y_storage: &[AxisId], ws: &[WindowAxis]) -> Vec<AxisId> {
    y_storage
        .iter()
        .filter(|a| !ws.iter().any(|w| w.kernel == **a))
        .map(|a| ws.iter().find(|w| w.output == *a).map_or(*a, |w| w.input))
        .collect()
}

/// Whether ★ over `ws` is the identity up to size-1 kernel axes (1×1, stride 1, no padding).
fn is_identity(ws: &[WindowAxis]) -> bool {
    ws.iter()
        .all(|w| w.input == w.output && w.stride == 1 && w.padding == 0)
        && ws.iter().all(|w| w.kernel != w.input)
}

/// Gathers the unfolded tensor from `x` (any layout).
fn unfold<T: Real>(cx: &Ctx, x: &Tensor<T>, ws: &[WindowAxis]) -> Tensor<T> {
    if is_identity(ws) && ws.iter().all(|w| cx.dim(w.kernel) == 1) {
        // a 1×1 window only adds size-1 kernel axes
        let mut y = x.clone();
        for w in ws {
            y.axes.push(w.kernel);
            y.dims.push(1);
            y.strides.push(1);
        }
        return y;
    }
    let x_storage = x.storage_order();
    let order = unfolded_order(&x_storage, ws);
    let layout = Tensor::from_storage(order.clone(), &order, &|a| cx.dim(a), Vec::new());
    let walk = Walk::new(cx, ws, x, &layout, &x_storage);
    // the walk visits the unfolded layout in storage order, so the output is appended
    let n: usize = cx.dims(&order).iter().product();
    let block: usize = walk.inner.iter().map(|(d, _, _)| *d).product();
    let mut out = Vec::with_capacity(n);
    match walk.contiguous_run() {
        Some(run) => walk.each_run(run, |xo, _, len| match xo {
            Some(xo) => out.extend_from_slice(&x.data[xo..xo + len]),
            None => out.resize(out.len() + len, T::default()),
        }),
        None => walk.each_block(|xo, _| match xo {
            Some(xo) => walk.each_inner(xo, 0, &mut |xi, _| out.push(x.data[xi])),
            None => out.resize(out.len() + block, T::default()),
        }),
    }
    Tensor::with_layout_of(&layout, out)
}

/// Scatters the unfolded `y` (any layout) back onto the spatial side, summing overlaps;
/// the result is stored in `x_storage` order.
fn fold<T: Real>(cx: &Ctx, y: &Tensor<T>, ws: &[WindowAxis], x_storage: &[AxisId]) -> Tensor<T> {
    if is_identity(ws) && ws.iter().all(|w| cx.dim(w.kernel) == 1) {
        let mut x = y.clone();
        for w in ws {
            if let Some(i) = x.pos(w.kernel) {
                x.axes.remove(i);
                x.dims.remove(i);
                x.strides.remove(i);
            }
        }
        return x.into_layout(x_storage);
    }
    let n: usize = cx.dims(x_storage).iter().product();
    let mut x = Tensor::from_storage(
        x_storage.to_vec(),
        x_storage,
        &|a| cx.dim(a),
        vec![T::default(); n],
    );
    let walk = Walk::new(cx, ws, &x, y, x_storage);
    let out = &mut x.data;
    match walk.contiguous_run() {
        Some(run) => walk.each_run(run, |xo, yo, len| {
            if let Some(xo) = xo {
                for (d, s) in out[xo..xo + len].iter_mut().zip(&y.data[yo..yo + len]) {
                    *d += *s;
                }
            }
        }),
        None => walk.each_block(|xo, yo| {
            if let Some(xo) = xo {
                walk.each_inner(xo, yo, &mut |xi, yi| out[xi] += y.data[yi]);
            }
        }),
    }
    x
}

/// ★ and ★ᵀ are transposes of each other, so each backward is the other's forward; the
/// gradient of ★'s input is stored like that input.
impl Kernel for Window {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs) = (a.cx, a.xs);
        Ok(vec![unfold(cx, xs[0], &self.axes)])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs) = (a.cx, a.xs);
        Grads::input(fold(cx, dy, &self.axes, &xs[0].storage_order()))
    }

    // ★ copies: one operation per unfolded element
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let big = elems(c, n.outputs[0]);
        OpCost {
            ops_fwd: big.clone(),
            ops_bwd: big,
            ..Default::default()
        }
    }
}

/// The transposed window ★ᵀ with the geometry of a window.
pub(crate) struct Transposed<'a>(pub &'a Window);

impl Kernel for Transposed<'_> {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs) = (a.cx, a.xs);
        let ws = &self.0.axes;
        Ok(vec![fold(
            cx,
            xs[0],
            ws,
            &folded_order(&xs[0].storage_order(), ws),
        )])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let cx = a.cx;
        Grads::input(unfold(cx, dy, &self.0.axes))
    }

    // ★ᵀ adds: one operation per unfolded element
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let big = elems(c, n.inputs[0]);
        OpCost {
            ops_fwd: big.clone(),
            ops_bwd: big,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bound::Bound;
    use crate::builder::{Builder, WindowSpec};
    use crate::ir::AxisKind;

    fn dot(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
        a.data.iter().zip(b.aligned_to(a)).map(|(x, y)| x * y).sum()
    }

    fn wave(axes: &[AxisId], dims: Vec<usize>, phase: f64) -> Tensor<f64> {
        let n = dims.iter().product();
        let data = (0..n).map(|i| (0.37 * i as f64 + phase).sin()).collect();
        Tensor::from_vec(axes.to_vec(), dims, data)
    }

    /// ★ on x[b, c, H, W]: the same result from an NCHW and an NHWC input, and the fold is
    /// its adjoint, ⟨★x, u⟩ = ⟨x, ★ᵀu⟩.
    fn check(h_spec: WindowSpec, w_spec: WindowSpec) {
        let mut bld = Builder::new("w");
        let b = bld.axis("b", "2", AxisKind::Batch).unwrap();
        let c = bld.axis("c", "3", AxisKind::Feature).unwrap();
        let h = bld.axis("H", "5", AxisKind::Spatial).unwrap();
        let w = bld.axis("W", "4", AxisKind::Spatial).unwrap();
        let x = bld.input("x", &[b, c, h, w]);
        let (y, _) = bld.window("win", x, &[(h, h_spec), (w, w_spec)]).unwrap();
        bld.output(y);
        let circ = bld.finish().unwrap();
        let bound = Bound::new(&circ, &circ.default_bindings()).unwrap();
        let (node, op) = circ
            .nodes
            .iter()
            .find_map(|n| match &n.op {
                crate::ir::Op::Window(w) => Some((n, w)),
                _ => None,
            })
            .unwrap();
        let cx = Ctx::new(&circ, &bound, node);
        let y_axes = cx.out_axes(0).to_vec();
        let x_nchw = wave(&[b, c, h, w], vec![2, 3, 5, 4], 0.1);
        let x_nhwc = x_nchw.to_layout(&[b, h, w, c]);
        let fwd = |x: &Tensor<f64>| {
            let a = Args {
                cx: &cx,
                xs: &[x],
                ps: &[],
            };
            op.forward(&a).unwrap().remove(0)
        };
        let y1 = fwd(&x_nchw).to_layout(&y_axes);
        let y2 = fwd(&x_nhwc).to_layout(&y_axes);
        assert_eq!(y1.data, y2.data);
        let u = wave(&y_axes, cx.dims(&y_axes), 0.7);
        let y = y1.clone();
        let a = Args {
            cx: &cx,
            xs: &[&x_nhwc],
            ps: &[],
        };
        let folded = op.backward(&a, &[&y], &u).inputs[0].take().unwrap();
        assert!(folded.is_row_major_in(&[b, h, w, c]));
        assert!((dot(&y1, &u) - dot(&x_nchw, &folded)).abs() < 1e-9);
    }

    #[test]
    fn unfold_ignores_layout_and_fold_is_its_adjoint() {
        check(WindowSpec::same(3), WindowSpec::same(3));
        check(
            WindowSpec::new(3).stride(2).padding(1),
            WindowSpec::new(2).dilation(2).padding(1),
        );
        // rows and columns wholly in the padding
        check(
            WindowSpec::new(2).stride(3).padding(2),
            WindowSpec::new(3).padding(3),
        );
        check(WindowSpec::new(1), WindowSpec::new(1));
        check(WindowSpec::new(1).stride(2), WindowSpec::new(1).stride(2));
    }
}
