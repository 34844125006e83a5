//! Normalisation where each statistics group has its own gain and shift (batch norm: one
//! per channel). x̂ is never stored: the forward writes g·x̂ + b straight from x, and the
//! backward gets the sums the input gradient needs from the parameter gradients
//! (Σ dx̂ = g·Σ dy, Σ dx̂·x̂ = g·Σ dy·x̂), so it reads x and dy twice and writes dx once.

use super::norm::{Along, View, moments};
use crate::tensor::Real;

/// y = g·x̂ + b over the view, with `g`, `b` indexed per group.
pub(super) fn forward<T: Real>(v: &View<T>, eps: f64, g: &[T], b: &[T]) -> Vec<T> {
    let (mean, inv) = moments(v, eps);
    let cols = v.cols.max(1);
    let mut y = Vec::with_capacity(v.data.len());
    match v.stats {
        Along::Row => {
            for (r, row) in v.data.chunks(cols).enumerate() {
                let (m, iv, g, b) = (mean[r], inv[r], g[r], b[r]);
                y.extend(row.iter().map(|x| ((*x - m) * iv) * g + b));
            }
        }
        Along::Col => {
            for row in v.data.chunks(cols) {
                y.extend(
                    row.iter()
                        .zip(mean.iter().zip(&inv))
                        .zip(g.iter().zip(b))
                        .map(|((x, (m, iv)), (g, b))| ((*x - *m) * *iv) * *g + *b),
                );
            }
        }
    }
    y
}

/// (dx, dg, db) over the view, with `g` indexed per group.
pub(super) fn backward<T: Real>(
    v: &View<T>,
    eps: f64,
    dy: &[T],
    g: &[T],
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (mean, inv) = moments(v, eps);
    let (rows, cols) = (v.rows, v.cols.max(1));
    let groups = mean.len();
    let (mut dg, mut db) = (vec![T::default(); groups], vec![T::default(); groups]);
    match v.stats {
        Along::Row => {
            for (r, (row, d)) in v.data.chunks(cols).zip(dy.chunks(cols)).enumerate() {
                let (m, iv) = (mean[r], inv[r]);
                let (mut sg, mut sb) = (T::default(), T::default());
                for (x, d) in row.iter().zip(d) {
                    sg += *d * ((*x - m) * iv);
                    sb += *d;
                }
                dg[r] = sg;
                db[r] = sb;
            }
        }
        Along::Col => {
            for (row, d) in v.data.chunks(cols).zip(dy.chunks(cols)) {
                for ((((x, d), (m, iv)), sg), sb) in row
                    .iter()
                    .zip(d)
                    .zip(mean.iter().zip(&inv))
                    .zip(dg.iter_mut())
                    .zip(db.iter_mut())
                {
                    *sg += *d * ((*x - *m) * *iv);
                    *sb += *d;
                }
            }
        }
    }
    let n = if v.stats == Along::Row { cols } else { rows };
    let rn = T::of(n as f64);
    let sd: Vec<T> = g.iter().zip(&db).map(|(g, s)| *g * *s).collect();
    let sdx: Vec<T> = g.iter().zip(&dg).map(|(g, s)| *g * *s).collect();
    let mut dx = Vec::with_capacity(dy.len());
    match v.stats {
        Along::Row => {
            for (r, (row, d)) in v.data.chunks(cols).zip(dy.chunks(cols)).enumerate() {
                let (m, iv, g, s, sx) = (mean[r], inv[r], g[r], sd[r], sdx[r]);
                dx.extend(row.iter().zip(d).map(|(x, d)| {
                    let h = (*x - m) * iv;
                    iv * (rn * (*d * g) - s - h * sx) / rn
                }));
            }
        }
        Along::Col => {
            for (row, d) in v.data.chunks(cols).zip(dy.chunks(cols)) {
                dx.extend(
                    row.iter()
                        .zip(d)
                        .zip(mean.iter().zip(&inv))
                        .zip(g.iter().zip(sd.iter().zip(&sdx)))
                        .map(|(((x, d), (m, iv)), (g, (s, sx)))| {
                            let h = (*x - *m) * *iv;
                            *iv * (rn * (*d * *g) - *s - h * *sx) / rn
                        }),
                );
            }
        }
    }
    (dx, dg, db)
}
