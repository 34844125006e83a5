//! Normalisation over chosen axes (layer norm, batch norm with batch statistics).
//! Forward: x̂ = (x − μ)/√(σ² + ε), y = g·x̂ + b. Backward needs x̂ and 1/σ.
//!
//! The kernels work where the data lies: viewed as a [rows × cols] matrix whose statistics
//! run either along rows (the normalised axes innermost, as layer norm's features) or down
//! columns (the kept axes innermost, as batch norm's channels in a channels-last layout).
//! Only an input stored neither way is copied.

use super::{Args, Ctx, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{AxisId, Circuit, Node, Norm};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};
use std::borrow::Cow;

/// Where the statistics groups (and the gain/shift entries) run in the [rows × cols] view.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Along {
    /// One entry per row.
    Row,
    /// One entry per column.
    Col,
}

/// The working view: the data, its storage order, its shape, and how groups and the affine
/// parameters map onto it.
pub(super) struct View<'a, T: Clone> {
    pub(super) order: Vec<AxisId>,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) stats: Along,
    /// How the gain/shift index the view; None when they need a full-size broadcast.
    pub(super) affine: Option<Along>,
    /// Axes that order the parameters' entries in this view.
    pub(super) affine_order: Vec<AxisId>,
    pub(super) data: Cow<'a, [T]>,
}

fn same_set(a: &[AxisId], b: &[AxisId]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn view<'a, T: Real>(
    cx: &Ctx,
    x: &'a Tensor<T>,
    stats: &[AxisId],
    affine_axes: &[AxisId],
) -> View<'a, T> {
    let storage = x.storage_order();
    let kept: Vec<AxisId> = storage
        .iter()
        .copied()
        .filter(|a| !stats.contains(a))
        .collect();
    let st: Vec<AxisId> = storage
        .iter()
        .copied()
        .filter(|a| stats.contains(a))
        .collect();
    let (order, along) = if x.is_row_major_in(&[&st[..], &kept].concat()) {
        ([&st[..], &kept].concat(), Along::Col)
    } else {
        ([&kept[..], &st].concat(), Along::Row)
    };
    let data = if x.is_row_major_in(&order) {
        Cow::Borrowed(&x.data[..])
    } else {
        Cow::Owned(x.to_layout(&order).data)
    };
    let n_kept: usize = cx.dims(&kept).iter().product();
    let n_st: usize = cx.dims(&st).iter().product();
    let (rows, cols) = match along {
        Along::Row => (n_kept, n_st),
        Along::Col => (n_st, n_kept),
    };
    let flip = |a: Along| {
        if a == Along::Row {
            Along::Col
        } else {
            Along::Row
        }
    };
    let (affine, affine_order) = if same_set(affine_axes, &kept) {
        (Some(along), kept)
    } else if same_set(affine_axes, &st) {
        (Some(flip(along)), st)
    } else {
        (None, affine_axes.to_vec())
    };
    View {
        order,
        rows,
        cols,
        stats: along,
        affine,
        affine_order,
        data,
    }
}

/// Mean and 1/σ per group (two passes: the variance is taken about the mean).
pub(super) fn moments<T: Real>(v: &View<T>, eps: f64) -> (Vec<T>, Vec<T>) {
    let (rows, cols) = (v.rows, v.cols.max(1));
    let eps = T::of(eps);
    let one = T::of(1.0);
    match v.stats {
        Along::Row => {
            let rn = T::of(cols as f64);
            v.data
                .chunks(cols)
                .map(|row| {
                    let mean = row.iter().fold(T::default(), |s, x| s + *x) / rn;
                    let var = row
                        .iter()
                        .fold(T::default(), |s, x| s + (*x - mean) * (*x - mean))
                        / rn;
                    (mean, one / (var + eps).sqrt())
                })
                .unzip()
        }
        Along::Col => {
            let rn = T::of(rows as f64);
            let mut mean = vec![T::default(); cols];
            for row in v.data.chunks(cols) {
                mean.iter_mut().zip(row).for_each(|(m, x)| *m += *x);
            }
            mean.iter_mut().for_each(|m| *m /= rn);
            let mut var = vec![T::default(); cols];
            for row in v.data.chunks(cols) {
                for ((s, x), m) in var.iter_mut().zip(row).zip(&mean) {
                    *s += (*x - *m) * (*x - *m);
                }
            }
            let inv = var.iter().map(|s| one / (*s / rn + eps).sqrt()).collect();
            (mean, inv)
        }
    }
}

/// x̂ over the view and 1/σ per group.
fn normalise<T: Real>(v: &View<T>, eps: f64) -> (Vec<T>, Vec<T>) {
    let (mean, inv) = moments(v, eps);
    let cols = v.cols.max(1);
    let mut xhat = Vec::with_capacity(v.data.len());
    match v.stats {
        Along::Row => {
            for ((row, m), iv) in v.data.chunks(cols).zip(&mean).zip(&inv) {
                xhat.extend(row.iter().map(|x| (*x - *m) * *iv));
            }
        }
        Along::Col => {
            for row in v.data.chunks(cols) {
                xhat.extend(
                    row.iter()
                        .zip(&mean)
                        .zip(&inv)
                        .map(|((x, m), iv)| (*x - *m) * *iv),
                );
            }
        }
    }
    (xhat, inv)
}

/// `x ← x·g + b` with `g`, `b` indexed per row, per column, or per element (`along` None).
fn scale_shift<T: Real>(data: &mut [T], cols: usize, along: Option<Along>, g: &[T], b: &[T]) {
    match along {
        Some(Along::Row) => {
            for ((row, g), b) in data.chunks_mut(cols.max(1)).zip(g).zip(b) {
                row.iter_mut().for_each(|x| *x = *x * *g + *b);
            }
        }
        Some(Along::Col) => {
            for row in data.chunks_mut(cols.max(1)) {
                for ((x, g), b) in row.iter_mut().zip(g).zip(b) {
                    *x = *x * *g + *b;
                }
            }
        }
        None => {
            for ((x, g), b) in data.iter_mut().zip(g).zip(b) {
                *x = *x * *g + *b;
            }
        }
    }
}

/// Σ a·b (or Σ a when `b` is None) per row or per column of the [rows × cols] view.
fn sums<T: Real>(a: &[T], b: Option<&[T]>, rows: usize, cols: usize, along: Along) -> Vec<T> {
    let cols = cols.max(1);
    match (along, b) {
        (Along::Row, None) => a
            .chunks(cols)
            .map(|r| r.iter().fold(T::default(), |s, x| s + *x))
            .collect(),
        (Along::Row, Some(b)) => a
            .chunks(cols)
            .zip(b.chunks(cols))
            .map(|(r, q)| r.iter().zip(q).fold(T::default(), |s, (x, y)| s + *x * *y))
            .collect(),
        (Along::Col, None) => {
            let mut acc = vec![T::default(); cols];
            for r in a.chunks(cols).take(rows) {
                acc.iter_mut().zip(r).for_each(|(s, x)| *s += *x);
            }
            acc
        }
        (Along::Col, Some(b)) => {
            let mut acc = vec![T::default(); cols];
            for (r, q) in a.chunks(cols).zip(b.chunks(cols)).take(rows) {
                for ((s, x), y) in acc.iter_mut().zip(r).zip(q) {
                    *s += *x * *y;
                }
            }
            acc
        }
    }
}

/// The gain and shift as flat vectors indexed the way [`scale_shift`] reads them.
fn params_in_view<T: Real>(cx: &Ctx, v: &View<T>, ps: &[&Tensor<T>]) -> Option<(Vec<T>, Vec<T>)> {
    if ps.len() != 2 {
        return None;
    }
    let flat = |p: &Tensor<T>| match v.affine {
        Some(_) => p.to_layout(&v.affine_order).data,
        None => p.expand(&v.order, &cx.dims(&v.order)).data,
    };
    Some((flat(ps[0]), flat(ps[1])))
}

fn forward<T: Real>(op: &Norm, cx: &Ctx, x: &Tensor<T>, ps: &[&Tensor<T>]) -> Tensor<T> {
    let eps = op.eps;
    let v = view(cx, x, &op.stats, &op.affine_axes);
    if v.affine == Some(v.stats)
        && let Some((g, b)) = params_in_view(cx, &v, ps)
    {
        let y = super::norm_grouped::forward(&v, eps, &g, &b);
        return Tensor::from_storage(x.axes.clone(), &v.order, &|a| cx.dim(a), y);
    }
    let (mut y, _) = normalise(&v, eps);
    if let Some((g, b)) = params_in_view(cx, &v, ps) {
        scale_shift(&mut y, v.cols, v.affine, &g, &b);
    }
    Tensor::from_storage(x.axes.clone(), &v.order, &|a| cx.dim(a), y)
}

fn backward<T: Real>(
    op: &Norm,
    cx: &Ctx,
    x: &Tensor<T>,
    ps: &[&Tensor<T>],
    dy: &Tensor<T>,
) -> Grads<T> {
    let eps = op.eps;
    let v = view(cx, x, &op.stats, &op.affine_axes);
    let (rows, cols) = (v.rows, v.cols);
    let dy_v: std::borrow::Cow<[T]> = if dy.is_row_major_in(&v.order) {
        std::borrow::Cow::Borrowed(&dy.data)
    } else {
        std::borrow::Cow::Owned(dy.to_layout(&v.order).data)
    };
    if v.affine == Some(v.stats)
        && let Some((g, _)) = params_in_view(cx, &v, ps)
    {
        let (dx, dg, db) = super::norm_grouped::backward(&v, eps, &dy_v, &g);
        let dims = cx.dims(&v.affine_order);
        return Grads {
            inputs: vec![Some(Tensor::from_storage(
                x.axes.clone(),
                &v.order,
                &|a| cx.dim(a),
                dx,
            ))],
            params: vec![
                Tensor::from_vec(v.affine_order.clone(), dims.clone(), dg),
                Tensor::from_vec(v.affine_order.clone(), dims, db),
            ],
        };
    }
    let (xhat, inv) = normalise(&v, eps);
    let xhat = &xhat;
    let mut params = Vec::new();
    // dx̂ = dy·g
    let mut dxh = dy_v.to_vec();
    if let Some((g, _)) = params_in_view(cx, &v, ps) {
        let zeros = vec![T::default(); g.len()];
        scale_shift(&mut dxh, cols, v.affine, &g, &zeros);
        match v.affine {
            Some(along) => {
                let dims = cx.dims(&v.affine_order);
                let dg = sums(&dy_v, Some(xhat), rows, cols, along);
                let db = sums(&dy_v, None, rows, cols, along);
                params.push(Tensor::from_vec(v.affine_order.clone(), dims.clone(), dg));
                params.push(Tensor::from_vec(v.affine_order.clone(), dims, db));
            }
            None => {
                let dims = cx.dims(&v.order);
                let prod: Vec<T> = dy_v.iter().zip(xhat).map(|(a, b)| *a * *b).collect();
                let prod = Tensor::from_vec(v.order.clone(), dims.clone(), prod);
                let dyt = Tensor::from_vec(v.order.clone(), dims, dy_v.to_vec());
                params.push(prod.sum_to(&ps[0].axes));
                params.push(dyt.sum_to(&ps[1].axes));
            }
        }
    }
    let r = match v.stats {
        Along::Row => cols,
        Along::Col => rows,
    };
    let rn = T::of(r as f64);
    let sd = sums(&dxh, None, rows, cols, v.stats);
    let sdx = sums(&dxh, Some(xhat), rows, cols, v.stats);
    let cols1 = cols.max(1);
    match v.stats {
        Along::Row => {
            for (((d, h), iv), (s, sx)) in dxh
                .chunks_mut(cols1)
                .zip(xhat.chunks(cols1))
                .zip(&inv)
                .zip(sd.iter().zip(&sdx))
            {
                for (d, h) in d.iter_mut().zip(h) {
                    *d = *iv * (rn * *d - *s - *h * *sx) / rn;
                }
            }
        }
        Along::Col => {
            for (d, h) in dxh.chunks_mut(cols1).zip(xhat.chunks(cols1)) {
                for ((((d, h), iv), s), sx) in d.iter_mut().zip(h).zip(&inv).zip(&sd).zip(&sdx) {
                    *d = *iv * (rn * *d - *s - *h * *sx) / rn;
                }
            }
        }
    }
    Grads {
        inputs: vec![Some(Tensor::from_storage(
            x.axes.clone(),
            &v.order,
            &|a| cx.dim(a),
            dxh,
        ))],
        params,
    }
}

impl Kernel for Norm {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs, ps) = (a.cx, a.xs, a.ps);
        Ok(vec![forward(self, cx, xs[0], ps)])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs, ps) = (a.cx, a.xs, a.ps);
        backward(self, cx, xs[0], ps, dy)
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let x = elems(c, n.inputs[0]);
        let w = if self.affine { 9 } else { 7 };
        OpCost {
            ops_fwd: x.scale(w),
            ops_bwd: x.scale(w + 3),
            saved: x,
            ..Default::default()
        }
    }
}
