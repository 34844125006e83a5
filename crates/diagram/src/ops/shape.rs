//! Concatenation, split, selection, reshape and embedding lookup.

use super::{Args, Ctx, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{AxisId, Circuit, Concat, Embed, Gather, Node, Reshape, Select, Split};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};

fn rest_of(axes: &[AxisId], skip: &[AxisId]) -> Vec<AxisId> {
    axes.iter().copied().filter(|a| !skip.contains(a)).collect()
}

impl Kernel for Concat {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs) = (a.cx, a.xs);
        let rest = rest_of(&xs[0].axes, &[self.inputs[0]]);
        let mut data = Vec::new();
        for (x, a) in xs.iter().zip(&self.inputs) {
            data.extend(x.to_layout(&[vec![*a], rest.clone()].concat()).data);
        }
        let axes = [vec![self.output], rest].concat();
        let dims = cx.dims(&axes);
        Ok(vec![Tensor::from_vec(axes, dims, data)])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs) = (a.cx, a.xs);
        let rest = rest_of(&dy.axes, &[self.output]);
        let t = dy.to_layout(&[vec![self.output], rest.clone()].concat());
        let inner: usize = cx.dims(&rest).iter().product();
        let mut off = 0;
        let inputs = xs
            .iter()
            .zip(&self.inputs)
            .map(|(_, a)| {
                let n = cx.dim(*a) * inner;
                let axes = [vec![*a], rest.clone()].concat();
                let g =
                    Tensor::from_vec(axes.clone(), cx.dims(&axes), t.data[off..off + n].to_vec());
                off += n;
                Some(g)
            })
            .collect();
        Grads {
            inputs,
            params: vec![],
        }
    }

    // a copy into place: nothing but the elements moved
    fn cost(&self, _: &Circuit, _: &Node) -> OpCost {
        OpCost::default()
    }
}

impl Kernel for Split {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, x) = (a.cx, a.xs[0]);
        let rest = rest_of(&x.axes, &[self.axis]);
        let t = x.to_layout(&[vec![self.axis], rest.clone()].concat());
        let inner: usize = cx.dims(&rest).iter().product();
        let mut off = 0;
        Ok(self
            .parts
            .iter()
            .map(|p| {
                let n = cx.dim(*p) * inner;
                let axes = [vec![*p], rest.clone()].concat();
                let y =
                    Tensor::from_vec(axes.clone(), cx.dims(&axes), t.data[off..off + n].to_vec());
                off += n;
                y
            })
            .collect())
    }

    fn backward<T: Real>(&self, a: &Args<T>, ys: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let mut dys: Vec<Option<&Tensor<T>>> = vec![None; self.parts.len()];
        dys[0] = Some(dy);
        self.backward_all(a, ys, &dys)
    }

    // the input's gradient is the parts' gradients concatenated (zeros for unused parts)
    fn backward_all<T: Real>(
        &self,
        a: &Args<T>,
        _: &[&Tensor<T>],
        dys: &[Option<&Tensor<T>>],
    ) -> Grads<T> {
        let (cx, x) = (a.cx, a.xs[0]);
        let rest = rest_of(&x.axes, &[self.axis]);
        let mut data = Vec::with_capacity(x.len());
        for (p, d) in self.parts.iter().zip(dys) {
            let order = [vec![*p], rest.clone()].concat();
            match d {
                Some(d) => data.extend(d.to_layout(&order).data),
                None => data.extend(std::iter::repeat_n(
                    T::default(),
                    cx.dims(&order).iter().product(),
                )),
            }
        }
        let axes = [vec![self.axis], rest].concat();
        Grads::input(Tensor::from_vec(axes.clone(), cx.dims(&axes), data))
    }

    // a copy out of place: nothing but the elements moved
    fn cost(&self, _: &Circuit, _: &Node) -> OpCost {
        OpCost::default()
    }
}

/// The row of each index (checked in range), for `n` rows.
fn rows<T: Real>(cx: &super::Ctx, idx: &Tensor<T>, n: usize) -> Result<Vec<usize>, ExecError> {
    idx.data
        .iter()
        .map(|v| {
            let i = v.f64();
            if i >= 0.0 && i < n as f64 && i.fract() == 0.0 {
                Ok(i as usize)
            } else {
                Err(ExecError::Index {
                    op: cx.node.name.clone(),
                    index: i,
                    vocab: n,
                })
            }
        })
        .collect()
}

/// `g[idx[j]] += d[j]`, rows of `f`: the backward of a lookup (repeated indices add).
fn add_rows<T: Real>(g: &mut [T], idx: &Tensor<T>, d: &[T], f: usize) {
    for (j, v) in idx.data.iter().enumerate() {
        let i = v.f64() as usize;
        for k in 0..f {
            g[i * f + k] += d[j * f + k];
        }
    }
}

impl Kernel for Gather {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, x, idx) = (a.cx, a.xs[0], a.xs[1]);
        let rest = rest_of(&x.axes, &[self.axis]);
        let t = x.to_layout(&[vec![self.axis], rest.clone()].concat());
        let f: usize = cx.dims(&rest).iter().product();
        let mut data = Vec::with_capacity(idx.len() * f);
        for i in rows(cx, idx, cx.dim(self.axis))? {
            data.extend_from_slice(&t.data[i * f..(i + 1) * f]);
        }
        let axes = [idx.axes.clone(), rest].concat();
        Ok(vec![Tensor::from_vec(axes.clone(), cx.dims(&axes), data)])
    }

    // the rows' gradients are added into the gathered positions
    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, x, idx) = (a.cx, a.xs[0], a.xs[1]);
        let rest = rest_of(&x.axes, &[self.axis]);
        let order = [vec![self.axis], rest.clone()].concat();
        let mut g = Tensor::zeros(order.clone(), cx.dims(&order));
        let f: usize = cx.dims(&rest).iter().product();
        let d = dy.to_layout(&[idx.axes.clone(), rest].concat());
        add_rows(&mut g.data, idx, &d.data, f);
        Grads {
            inputs: vec![Some(g), None],
            params: vec![],
        }
    }

    // a copy: nothing but the elements moved; the backward adds each gathered row back
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        OpCost {
            saved: elems(c, n.inputs[1]),
            ops_bwd: elems(c, n.outputs[0]),
            ..Default::default()
        }
    }
}

/// Row-major reinterpretation of `from` as `to` (both innermost).
fn relabel<T: Real>(cx: &Ctx, x: &Tensor<T>, from: &[AxisId], to: &[AxisId]) -> Tensor<T> {
    let rest = rest_of(&x.axes, from);
    let t = x.to_layout(&[rest.clone(), from.to_vec()].concat());
    let axes = [rest, to.to_vec()].concat();
    let dims = cx.dims(&axes);
    Tensor::from_vec(axes, dims, t.data)
}

impl Kernel for Reshape {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs) = (a.cx, a.xs);
        Ok(vec![relabel(cx, xs[0], &self.from, &self.to)])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let cx = a.cx;
        Grads::input(relabel(cx, dy, &self.to, &self.from))
    }

    // a view: nothing but the elements moved
    fn cost(&self, _: &Circuit, _: &Node) -> OpCost {
        OpCost::default()
    }
}

impl Kernel for Embed {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs, ps) = (a.cx, a.xs, a.ps);
        let (idx, table) = (xs[0], ps[0]);
        let t = table.to_layout(&[vec![self.vocab], self.features.clone()].concat());
        let nv = cx.dim(self.vocab);
        let f: usize = cx.dims(&self.features).iter().product();
        let mut data = Vec::with_capacity(idx.len() * f);
        for i in rows(cx, idx, nv)? {
            data.extend_from_slice(&t.data[i * f..(i + 1) * f]);
        }
        let axes = [idx.axes.clone(), self.features.clone()].concat();
        let dims = cx.dims(&axes);
        Ok(vec![Tensor::from_vec(axes, dims, data)])
    }

    /// The table's gradient sums the output gradient's rows into the looked-up entries;
    /// the indices get none.
    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs) = (a.cx, a.xs);
        let idx = xs[0];
        let order = [vec![self.vocab], self.features.clone()].concat();
        let mut g = Tensor::zeros(order.clone(), cx.dims(&order));
        let f: usize = cx.dims(&self.features).iter().product();
        let d = dy.to_layout(&[idx.axes.clone(), self.features.clone()].concat());
        add_rows(&mut g.data, idx, &d.data, f);
        Grads {
            inputs: vec![None],
            params: vec![g],
        }
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        OpCost {
            saved: elems(c, n.inputs[0]),
            ops_bwd: elems(c, n.outputs[0]),
            ..Default::default()
        }
    }
}

impl Kernel for Select {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, x) = (a.cx, a.xs[0]);
        let n = cx.dim(self.axis);
        if self.index >= n {
            return Err(ExecError::Check(format!(
                "op `{}` (select): index {} is outside axis {} of size {n}",
                cx.node.name,
                self.index,
                cx.c.axis_label(self.axis)
            )));
        }
        let rest = rest_of(&x.axes, &[self.axis]);
        let t = x.to_layout(&[vec![self.axis], rest.clone()].concat());
        let inner: usize = cx.dims(&rest).iter().product();
        let data = t.data[self.index * inner..(self.index + 1) * inner].to_vec();
        let dims = cx.dims(&rest);
        Ok(vec![Tensor::from_vec(rest, dims, data)])
    }

    // the gradient goes back to the selected position; the others get zero
    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let cx = a.cx;
        let rest = dy.axes.clone();
        let g = dy.to_layout(&rest);
        let axes = [vec![self.axis], rest].concat();
        let dims = cx.dims(&axes);
        let mut data = vec![T::default(); dims.iter().product()];
        let at = self.index * g.data.len();
        data[at..at + g.data.len()].copy_from_slice(&g.data);
        Grads::input(Tensor::from_vec(axes, dims, data))
    }

    // a copy: nothing but the elements moved
    fn cost(&self, _: &Circuit, _: &Node) -> OpCost {
        OpCost::default()
    }
}
