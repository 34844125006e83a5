//! Layout queries on strided tensors: the storage order, whether a group of axes can be read
//! as one flat index with a single stride, and whether two tensors share a layout. Kernels
//! use these to read operands where they lie instead of copying them into a fixed order.

use super::{Real, Tensor};
use crate::ir::AxisId;

impl<T: Real> Tensor<T> {
    /// The axes from outermost to innermost in memory (decreasing stride; ties keep the
    /// logical order, so size-1 axes fall where they were declared).
    pub fn storage_order(&self) -> Vec<AxisId> {
        let mut idx: Vec<usize> = (0..self.axes.len()).collect();
        idx.sort_by(|&i, &j| self.strides[j].cmp(&self.strides[i]));
        idx.into_iter().map(|i| self.axes[i]).collect()
    }

    /// The stride of `group` read as one row-major flat index, if its axes (in this order)
    /// nest exactly; size-1 axes never break a group. An empty or all-size-1 group gets 0.
    pub fn group_stride(&self, group: &[AxisId]) -> Option<usize> {
        let mut inner: Option<(usize, usize)> = None; // (stride, extent) of the flattened tail
        let mut flat_stride = 0;
        for a in group.iter().rev() {
            let i = self.pos(*a)?;
            let (d, s) = (self.dims[i], self.strides[i]);
            if d == 1 {
                continue;
            }
            match inner {
                None => {
                    flat_stride = s;
                    inner = Some((s, d));
                }
                Some((is, id)) => {
                    if s != is * id {
                        return None;
                    }
                    inner = Some((s, d));
                }
            }
        }
        Some(flat_stride)
    }

    /// Whether `o` has the same axes with the same sizes and strides (in any axis order), so
    /// the two data vectors line up element for element.
    pub fn same_layout(&self, o: &Tensor<T>) -> bool {
        self.axes.len() == o.axes.len()
            && self.data.len() == o.data.len()
            && self.axes.iter().enumerate().all(|(i, a)| {
                o.pos(*a)
                    .is_some_and(|j| o.dims[j] == self.dims[i] && o.strides[j] == self.strides[i])
            })
    }

    /// A tensor laid out exactly like `like`, holding `data` (in `like`'s storage order).
    pub fn with_layout_of(like: &Tensor<T>, data: Vec<T>) -> Tensor<T> {
        debug_assert_eq!(like.dims.iter().product::<usize>(), data.len());
        Tensor {
            axes: like.axes.clone(),
            dims: like.dims.clone(),
            strides: like.strides.clone(),
            data,
        }
    }

    /// A row-major tensor whose storage order is `storage` but whose axes are listed in
    /// `axes` order (a permutation of `storage`). Empty `data` gives a layout-only tensor,
    /// for kernels that need the strides before they have the elements.
    pub fn from_storage(
        axes: Vec<AxisId>,
        storage: &[AxisId],
        dim_of: &dyn Fn(AxisId) -> usize,
        data: Vec<T>,
    ) -> Tensor<T> {
        let mut stride_of = vec![(AxisId(0), 0usize); storage.len()];
        let mut s = 1;
        for (k, a) in storage.iter().enumerate().rev() {
            stride_of[k] = (*a, s);
            s *= dim_of(*a);
        }
        debug_assert!(data.is_empty() || s == data.len());
        let strides = axes
            .iter()
            .map(|a| {
                stride_of
                    .iter()
                    .find(|(b, _)| b == a)
                    .map_or(0, |(_, s)| *s)
            })
            .collect();
        let dims = axes.iter().map(|a| dim_of(*a)).collect();
        Tensor {
            axes,
            dims,
            strides,
            data,
        }
    }

    /// `o`'s elements in self's storage order, borrowed when the layouts already agree.
    pub fn aligned_view<'a>(&self, o: &'a Tensor<T>) -> std::borrow::Cow<'a, [T]> {
        if self.same_layout(o) {
            std::borrow::Cow::Borrowed(&o.data)
        } else {
            std::borrow::Cow::Owned(o.aligned_to(self))
        }
    }

    /// `self += o` elementwise (same axes, any layout).
    pub fn add_assign_tensor(&mut self, o: &Tensor<T>) {
        let ov = self.aligned_view(o);
        for (x, y) in self.data.iter_mut().zip(ov.iter()) {
            *x += *y;
        }
    }

    /// Elementwise `f`, keeping this layout.
    pub fn map_values(&self, f: impl Fn(T) -> T) -> Tensor<T> {
        Tensor::with_layout_of(self, self.data.iter().map(|v| f(*v)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ax(i: u32) -> AxisId {
        AxisId(i)
    }

    #[test]
    fn group_stride_follows_nesting() {
        // [2, 3, 4] row-major: strides 12, 4, 1
        let t = Tensor::from_vec(vec![ax(0), ax(1), ax(2)], vec![2, 3, 4], vec![0.0f32; 24]);
        assert_eq!(t.group_stride(&[ax(1), ax(2)]), Some(1));
        assert_eq!(t.group_stride(&[ax(0), ax(1)]), Some(4));
        assert_eq!(t.group_stride(&[ax(0), ax(2)]), None);
        assert_eq!(t.group_stride(&[ax(2), ax(1)]), None);
        assert_eq!(t.group_stride(&[]), Some(0));
        assert_eq!(t.storage_order(), vec![ax(0), ax(1), ax(2)]);
    }

    #[test]
    fn from_storage_lists_axes_in_any_order() {
        let t = Tensor::from_storage(
            vec![ax(0), ax(1)],
            &[ax(1), ax(0)],
            &|a| if a == ax(0) { 2 } else { 3 },
            (0..6).map(|i| i as f64).collect(),
        );
        // storage is [1, 0]: element (i0, i1) sits at i1·2 + i0
        assert_eq!(t.at(&[1, 2]), 5.0);
        assert!(t.is_row_major_in(&[ax(1), ax(0)]));
    }
}
