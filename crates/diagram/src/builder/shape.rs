//! Structural operations: concatenation, reshape, transpose, embeddings, constants, learned
//! arrays, save and load.

use super::{BuildError, Builder, R};
use crate::ir::*;

impl Builder {
    /// Concatenates values along `axes[i]` of input `i` into the new axis `output`.
    pub fn concat(
        &mut self,
        name: &str,
        xs: &[ValueId],
        axes: &[AxisId],
        output: AxisId,
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        if xs.len() != axes.len() || xs.is_empty() {
            return Err(BuildError::Invalid {
                op,
                kind: "concat",
                why: format!("{} values but {} axes", xs.len(), axes.len()),
            });
        }
        for (v, a) in xs.iter().zip(axes) {
            self.need_real(&op, "concat", *v)?;
            self.need_axes(&op, "concat", *v, &[*a])?;
        }
        let rest = |b: &Builder, v: ValueId, a: AxisId| -> Vec<AxisId> {
            let mut r: Vec<AxisId> = b.axes_of(v).iter().copied().filter(|x| *x != a).collect();
            r.sort();
            r
        };
        let r0 = rest(self, xs[0], axes[0]);
        for (v, a) in xs.iter().zip(axes).skip(1) {
            if rest(self, *v, *a) != r0 {
                return Err(BuildError::Invalid {
                    op,
                    kind: "concat",
                    why: format!(
                        "`{}` and `{}` differ in axes other than the concatenated one",
                        self.c.values[xs[0].ix()].name,
                        self.c.values[v.ix()].name
                    ),
                });
            }
        }
        let out: Vec<AxisId> = self
            .axes_of(xs[0])
            .iter()
            .map(|a| if *a == axes[0] { output } else { *a })
            .collect();
        self.no_dups(&op, "concat", &out)?;
        Ok(self.push(
            name,
            Op::Concat(Concat {
                inputs: axes.to_vec(),
                output,
            }),
            xs.to_vec(),
            vec![out],
            vec![],
        )[0])
    }

    /// Gathers `x` along `axis` at the positions held by the index value `idx` (see
    /// [`Gather`]): `axis` is replaced by the axes of `idx`.
    pub fn gather(&mut self, name: &str, x: ValueId, axis: AxisId, idx: ValueId) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "gather", x)?;
        self.need_axes(&op, "gather", x, &[axis])?;
        if self.c.values[idx.ix()].ty.dtype != DType::Index {
            return Err(BuildError::DType {
                op,
                kind: "gather",
                value: self.c.values[idx.ix()].name.clone(),
                expected: "indices",
            });
        }
        let mut out = self.axes_of(idx).to_vec();
        out.extend(self.axes_of(x).iter().filter(|a| **a != axis));
        self.no_dups(&op, "gather", &out)?;
        Ok(self.push(
            name,
            Op::Gather(Gather { axis }),
            vec![x, idx],
            vec![out],
            vec![],
        )[0])
    }

    /// Splits `axis` of `x` into `parts` (see [`Split`]); returns one value per part, named
    /// `NAME.0`, `NAME.1`, ….
    pub fn split(
        &mut self,
        name: &str,
        x: ValueId,
        axis: AxisId,
        parts: &[AxisId],
    ) -> R<Vec<ValueId>> {
        let op = self.scoped_name(name);
        self.need_real(&op, "split", x)?;
        self.need_axes(&op, "split", x, &[axis])?;
        if parts.len() < 2 {
            return Err(BuildError::Invalid {
                op,
                kind: "split",
                why: format!("{} part(s); a split needs at least two", parts.len()),
            });
        }
        let mut outs = Vec::new();
        for p in parts {
            let axes: Vec<AxisId> = self
                .axes_of(x)
                .iter()
                .map(|a| if *a == axis { *p } else { *a })
                .collect();
            self.no_dups(&op, "split", &axes)?;
            outs.push(axes);
        }
        let s = Split {
            axis,
            parts: parts.to_vec(),
        };
        Ok(self.push(name, Op::Split(s), vec![x], outs, vec![]))
    }

    /// Row-major reshape of axes `from` (adjacent or not) into `to`, placed where `from[0]` was.
    pub fn reshape(
        &mut self,
        name: &str,
        x: ValueId,
        from: &[AxisId],
        to: &[AxisId],
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_axes(&op, "reshape", x, from)?;
        let mut out = Vec::new();
        for a in self.axes_of(x) {
            if *a == from[0] {
                out.extend_from_slice(to);
            } else if !from.contains(a) {
                out.push(*a);
            }
        }
        self.no_dups(&op, "reshape", &out)?;
        let dt = self.c.values[x.ix()].ty.dtype;
        let v = self.push(
            name,
            Op::Reshape(Reshape {
                from: from.to_vec(),
                to: to.to_vec(),
            }),
            vec![x],
            vec![out],
            vec![],
        )[0];
        self.c.values[v.ix()].ty.dtype = dt;
        Ok(v)
    }

    /// Transpose into the given axis order (a wire crossing).
    pub fn permute(&mut self, name: &str, x: ValueId, order: &[AxisId]) -> R<ValueId> {
        let op = self.scoped_name(name);
        let mut a = order.to_vec();
        let mut b = self.axes_of(x).to_vec();
        a.sort();
        b.sort();
        if a != b {
            return Err(BuildError::Invalid {
                op,
                kind: "permute",
                why: "the order must list each input axis once".into(),
            });
        }
        Ok(self.push(
            name,
            Op::Permute(Permute {
                order: order.to_vec(),
            }),
            vec![x],
            vec![order.to_vec()],
            vec![],
        )[0])
    }

    /// Embedding lookup; creates the table over `vocab × features`.
    pub fn embed(
        &mut self,
        name: &str,
        idx: ValueId,
        vocab: AxisId,
        features: &[AxisId],
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        if self.c.values[idx.ix()].ty.dtype != DType::Index {
            return Err(BuildError::DType {
                op,
                kind: "embed",
                value: self.c.values[idx.ix()].name.clone(),
                expected: "indices",
            });
        }
        let mut taxes = vec![vocab];
        taxes.extend_from_slice(features);
        let t = self.param(&format!("{name}.table"), &taxes, Init::Normal);
        let mut out = self.axes_of(idx).to_vec();
        out.extend_from_slice(features);
        self.no_dups(&op, "embed", &out)?;
        Ok(self.push(
            name,
            Op::Embed(Embed {
                vocab,
                features: features.to_vec(),
            }),
            vec![idx],
            vec![out],
            vec![t],
        )[0])
    }

    /// Position `index` of `axis` of `x`, which the output no longer has (see [`Select`]).
    pub fn select(&mut self, name: &str, x: ValueId, axis: AxisId, index: usize) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "select", x)?;
        self.need_axes(&op, "select", x, &[axis])?;
        if let Some(n) = self.c.axes[axis.ix()].size.as_lit()
            && index as i64 >= n
        {
            return Err(BuildError::Invalid {
                op,
                kind: "select",
                why: format!(
                    "index {index} is outside axis {} of size {n}; expected 0 to {}",
                    self.c.axes[axis.ix()].name,
                    n - 1
                ),
            });
        }
        let out: Vec<AxisId> = self
            .axes_of(x)
            .iter()
            .copied()
            .filter(|a| *a != axis)
            .collect();
        let s = Select { axis, index };
        Ok(self.push(name, Op::Select(s), vec![x], vec![out], vec![])[0])
    }

    /// The fixed sinusoidal position table over (`pos`, `dim`) (see [`Sinusoid`]).
    pub fn sinusoid(&mut self, name: &str, pos: AxisId, dim: AxisId, base: f64) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.no_dups(&op, "sinusoid", &[pos, dim])?;
        if !(base.is_finite() && base > 1.0) {
            return Err(BuildError::Invalid {
                op,
                kind: "sinusoid",
                why: format!(
                    "base {base}: expected a finite number above 1 (10000 in the transformer)"
                ),
            });
        }
        let s = Sinusoid { pos, dim, base };
        Ok(self.push(name, Op::Sinusoid(s), vec![], vec![vec![pos, dim]], vec![])[0])
    }

    /// A constant array over `axes`.
    pub fn constant(&mut self, name: &str, axes: &[AxisId], value: f64) -> R<ValueId> {
        self.no_dups(&self.scoped_name(name), "constant", axes)?;
        Ok(self.push(
            name,
            Op::Constant(value),
            vec![],
            vec![axes.to_vec()],
            vec![],
        )[0])
    }

    /// A learned array over `axes` entering as a value (a positional embedding, a class token).
    pub fn learned(&mut self, name: &str, axes: &[AxisId]) -> R<ValueId> {
        self.learned_init(name, axes, Init::Normal)
    }

    /// A learned array with a given initialisation.
    pub fn learned_init(&mut self, name: &str, axes: &[AxisId], init: Init) -> R<ValueId> {
        self.no_dups(&self.scoped_name(name), "learned", axes)?;
        let p = self.param(&format!("{name}.value"), axes, init);
        let one = self.push(
            &format!("{name}.one"),
            Op::Constant(1.0),
            vec![],
            vec![vec![]],
            vec![],
        )[0];
        let w = self.linear_with(name, one, &[], axes, p, None)?;
        Ok(w)
    }

    /// Saves `x` under `label` (`→C_λ`).
    pub fn save(&mut self, label: &str, x: ValueId) -> R<ValueId> {
        let axes = self.axes_of(x).to_vec();
        let v = self.push(
            &format!("save {label}"),
            Op::Save(label.to_string()),
            vec![x],
            vec![axes],
            vec![],
        )[0];
        self.saves.insert(label.to_string(), v);
        Ok(v)
    }

    /// Loads what was saved under `label` (`C_λ→`).
    pub fn load(&mut self, label: &str) -> R<ValueId> {
        let op = self.scoped_name(&format!("load {label}"));
        let s = *self
            .saves
            .get(label)
            .ok_or_else(|| BuildError::UnknownLabel {
                op,
                label: label.to_string(),
            })?;
        let axes = self.axes_of(s).to_vec();
        Ok(self.push(
            &format!("load {label}"),
            Op::Load(label.to_string()),
            vec![s],
            vec![axes],
            vec![],
        )[0])
    }
}
