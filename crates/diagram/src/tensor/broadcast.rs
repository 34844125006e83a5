//! Broadcasting along and summing over the axes a smaller tensor lacks, done in place over
//! contiguous blocks when the smaller tensor's axes are the innermost or outermost ones in
//! storage (a bias over channels in a channels-last layout, a per-row scale).

use super::{Real, Tensor};
use crate::ir::AxisId;

/// Where a sub-set of axes sits in a tensor's storage.
enum Block {
    /// The sub-set is the innermost block: the data is `[outer][block]`.
    Inner(usize),
    /// The sub-set is the outermost block: the data is `[block][inner]`.
    Outer(usize),
}

impl<T: Real> Tensor<T> {
    /// The storage order of `sub`'s axes of size > 1, and where they sit as a block.
    fn block_of(&self, sub: &[AxisId]) -> Option<(Vec<AxisId>, Block)> {
        let storage: Vec<AxisId> = self
            .storage_order()
            .into_iter()
            .filter(|a| self.dim(*a).unwrap_or(1) > 1)
            .collect();
        if !self.is_row_major_in(&self.storage_order()) {
            return None;
        }
        let inside: Vec<AxisId> = storage
            .iter()
            .copied()
            .filter(|a| sub.contains(a))
            .collect();
        let n: usize = inside.iter().map(|a| self.dim(*a).unwrap_or(1)).product();
        let k = inside.len();
        if storage[storage.len() - k..] == inside[..] {
            Some((inside, Block::Inner(n)))
        } else if storage[..k] == inside[..] {
            Some((inside, Block::Outer(n)))
        } else {
            None
        }
    }

    /// `self += b`, with `b` (whose axes are a subset of self's) repeated along the rest.
    pub fn add_broadcast(&mut self, b: &Tensor<T>) {
        if let Some((order, block)) = self.block_of(&b.axes) {
            let bv = b.to_layout(&order).data;
            match block {
                Block::Inner(n) => {
                    for chunk in self.data.chunks_mut(n.max(1)) {
                        chunk.iter_mut().zip(&bv).for_each(|(x, y)| *x += *y);
                    }
                }
                Block::Outer(n) => {
                    let inner = self.data.len() / n.max(1);
                    for (chunk, y) in self.data.chunks_mut(inner.max(1)).zip(&bv) {
                        chunk.iter_mut().for_each(|x| *x += *y);
                    }
                }
            }
            return;
        }
        let bb = b.aligned_to(self);
        self.data.iter_mut().zip(bb).for_each(|(x, y)| *x += y);
    }

    /// [`Tensor::sum_to`] over a contiguous block, or None when `keep` is not one. The result
    /// lists its axes in `keep` order, stored in this tensor's order.
    pub(super) fn sum_to_block(&self, keep: &[AxisId]) -> Option<Tensor<T>> {
        let (order, block) = self.block_of(keep)?;
        let acc = match block {
            Block::Inner(n) => {
                let mut acc = vec![T::default(); n];
                for chunk in self.data.chunks(n.max(1)) {
                    acc.iter_mut().zip(chunk).for_each(|(s, x)| *s += *x);
                }
                acc
            }
            Block::Outer(n) => {
                let inner = self.data.len() / n.max(1);
                self.data
                    .chunks(inner.max(1))
                    .take(n)
                    .map(|c| c.iter().fold(T::default(), |s, x| s + *x))
                    .collect()
            }
        };
        let storage: Vec<AxisId> = keep
            .iter()
            .copied()
            .filter(|a| !order.contains(a))
            .chain(order.iter().copied())
            .collect();
        Some(Tensor::from_storage(
            keep.to_vec(),
            &storage,
            &|a| self.dim(a).unwrap_or(1),
            acc,
        ))
    }
}
