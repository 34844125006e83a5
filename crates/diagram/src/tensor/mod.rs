//! Named, strided tensors: each axis of the circuit maps to a size and a stride, so
//! transposes are free and the layout is the executor's choice, not the type's.

mod broadcast;
mod contract;
mod layout;

pub use contract::{contract, contract_like};

use crate::ir::AxisId;

/// Floating-point element types the executor runs on (f32 and f64): the workspace's one
/// float trait.
pub use nc_core::real::Real;

/// A dense tensor whose axes are circuit axes, each with a size and a stride.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor<T> {
    /// Axes, in storage-independent order.
    pub axes: Vec<AxisId>,
    /// Size of each axis.
    pub dims: Vec<usize>,
    /// Stride of each axis, in elements.
    pub strides: Vec<usize>,
    /// The elements (exactly the product of `dims` of them).
    pub data: Vec<T>,
}

fn row_major_strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

impl<T: Real> Tensor<T> {
    /// A row-major tensor from data.
    pub fn from_vec(axes: Vec<AxisId>, dims: Vec<usize>, data: Vec<T>) -> Self {
        debug_assert_eq!(dims.iter().product::<usize>(), data.len());
        let strides = row_major_strides(&dims);
        Tensor {
            axes,
            dims,
            strides,
            data,
        }
    }
    /// Filled with `v`.
    pub fn full(axes: Vec<AxisId>, dims: Vec<usize>, v: T) -> Self {
        let n = dims.iter().product();
        Self::from_vec(axes, dims, vec![v; n])
    }
    /// Zeros.
    pub fn zeros(axes: Vec<AxisId>, dims: Vec<usize>) -> Self {
        Self::full(axes, dims, T::default())
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// Position of an axis.
    pub fn pos(&self, a: AxisId) -> Option<usize> {
        self.axes.iter().position(|x| *x == a)
    }
    /// Size of an axis.
    pub fn dim(&self, a: AxisId) -> Option<usize> {
        self.pos(a).map(|i| self.dims[i])
    }
    /// Whether the storage is row-major in `order`.
    pub fn is_row_major_in(&self, order: &[AxisId]) -> bool {
        if order.len() != self.axes.len() {
            return false;
        }
        let mut expect = 1;
        for a in order.iter().rev() {
            let Some(i) = self.pos(*a) else { return false };
            if self.dims[i] != 1 && self.strides[i] != expect {
                return false;
            }
            expect *= self.dims[i];
        }
        true
    }
    /// The same data, stored row-major in `order` (free when it already is).
    pub fn to_layout(&self, order: &[AxisId]) -> Tensor<T> {
        if self.is_row_major_in(order) {
            let mut t = self.clone();
            t.reorder_meta(order);
            return t;
        }
        let dims: Vec<usize> = order.iter().map(|a| self.dim(*a).unwrap_or(1)).collect();
        let strides: Vec<usize> = order
            .iter()
            .map(|a| self.pos(*a).map_or(0, |i| self.strides[i]))
            .collect();
        Tensor::from_vec(
            order.to_vec(),
            dims.clone(),
            gather(&self.data, &dims, &strides),
        )
    }
    /// Consumes self; like [`Tensor::to_layout`] without a copy when already in order.
    pub fn into_layout(mut self, order: &[AxisId]) -> Tensor<T> {
        if self.is_row_major_in(order) {
            self.reorder_meta(order);
            return self;
        }
        self.to_layout(order)
    }
    fn reorder_meta(&mut self, order: &[AxisId]) {
        let idx: Vec<usize> = order.iter().map(|a| self.pos(*a).unwrap_or(0)).collect();
        self.dims = idx.iter().map(|&i| self.dims[i]).collect();
        self.strides = idx.iter().map(|&i| self.strides[i]).collect();
        self.axes = order.to_vec();
    }
    /// Broadcasts to `axes` with `dims` (axes missing here are repeated), row-major.
    pub fn expand(&self, axes: &[AxisId], dims: &[usize]) -> Tensor<T> {
        let strides: Vec<usize> = axes
            .iter()
            .map(|a| self.pos(*a).map_or(0, |i| self.strides[i]))
            .collect();
        Tensor::from_vec(
            axes.to_vec(),
            dims.to_vec(),
            gather(&self.data, dims, &strides),
        )
    }
    /// Sums over every axis not in `keep`; the result is row-major in `keep`'s order.
    pub fn sum_to(&self, keep: &[AxisId]) -> Tensor<T> {
        let keep: Vec<AxisId> = keep
            .iter()
            .copied()
            .filter(|a| self.pos(*a).is_some())
            .collect();
        if let Some(t) = self.sum_to_block(&keep) {
            // the sums are few: putting them in `keep`'s order is cheap
            return t.into_layout(&keep);
        }
        let mut order = keep.clone();
        order.extend(self.axes.iter().copied().filter(|a| !keep.contains(a)));
        let t = self.to_layout(&order);
        let outer: usize = keep.iter().map(|a| self.dim(*a).unwrap_or(1)).product();
        let inner = t.data.len() / outer.max(1);
        let data: Vec<T> = (0..outer)
            .map(|o| {
                t.data[o * inner..(o + 1) * inner]
                    .iter()
                    .fold(T::default(), |s, v| s + *v)
            })
            .collect();
        let dims = keep.iter().map(|a| self.dim(*a).unwrap_or(1)).collect();
        Tensor::from_vec(keep, dims, data)
    }
    /// Elementwise combination with `o` (same axes, any layout).
    pub fn zip_with(&self, o: &Tensor<T>, f: impl Fn(T, T) -> T) -> Tensor<T> {
        let o2 = o.aligned_to(self);
        let mut out = self.clone();
        for (x, y) in out.data.iter_mut().zip(&o2) {
            *x = f(*x, *y);
        }
        out
    }
    /// `o`'s elements in self's storage order (broadcasting axes `o` lacks).
    pub fn aligned_to(&self, like: &Tensor<T>) -> Vec<T> {
        let strides: Vec<usize> = like
            .axes
            .iter()
            .map(|a| self.pos(*a).map_or(0, |i| self.strides[i]))
            .collect();
        // walk `like`'s storage order: sort its axes by decreasing stride
        let mut order: Vec<usize> = (0..like.axes.len()).collect();
        order.sort_by(|&i, &j| like.strides[j].cmp(&like.strides[i]));
        let dims: Vec<usize> = order.iter().map(|&i| like.dims[i]).collect();
        let st: Vec<usize> = order.iter().map(|&i| strides[i]).collect();
        gather(&self.data, &dims, &st)
    }
    /// Element at a multi-index given per axis in `axes` order.
    pub fn at(&self, index: &[usize]) -> T {
        self.data[index
            .iter()
            .zip(&self.strides)
            .map(|(i, s)| i * s)
            .sum::<usize>()]
    }
    /// The data row-major in `order`, as a plain vector.
    pub fn values_in(&self, order: &[AxisId]) -> Vec<T> {
        self.to_layout(order).data
    }
}

/// Whether every element is finite. `x·0` is 0 for finite `x` and NaN otherwise, and summing
/// it in independent lanes lets the loop vectorise where an early-exit search would not.
pub fn all_finite<T: Real>(data: &[T]) -> bool {
    const LANES: usize = 16;
    let zero = T::default();
    let mut acc = [zero; LANES];
    let chunks = data.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += *x * zero;
        }
    }
    acc.iter().chain(tail).all(|v| v.is_finite())
}

/// Copies `src` (read with `strides`, 0 for broadcast) into a row-major buffer of `dims`.
pub fn gather<T: Copy + Default>(src: &[T], dims: &[usize], strides: &[usize]) -> Vec<T> {
    let n: usize = dims.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    if dims.is_empty() {
        out.push(src[0]);
        return out;
    }
    let r = dims.len();
    let (inner_d, inner_s) = (dims[r - 1], strides[r - 1]);
    let mut idx = vec![0usize; r - 1];
    let mut base = 0usize;
    loop {
        if inner_s == 1 {
            out.extend_from_slice(&src[base..base + inner_d]);
        } else {
            for j in 0..inner_d {
                out.push(src[base + j * inner_s]);
            }
        }
        // odometer over the outer axes
        let mut k = r - 1;
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            idx[k] += 1;
            base += strides[k];
            if idx[k] < dims[k] {
                break;
            }
            base -= strides[k] * dims[k];
            idx[k] = 0;
        }
    }
}
