//! Running observation normaliser as in Tonic's `MeanStd`: batched mean and mean-square
//! updates, standard deviation floored at 0.01, no clipping.

use crate::precision::Real;
use serde::{Deserialize, Serialize};

/// Running mean and standard deviation of observations, updated in batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    mean: Vec<f64>,
    mean_sq: Vec<f64>,
    std: Vec<f64>,
    count: u64,
    new_sum: Vec<f64>,
    new_sum_sq: Vec<f64>,
    new_count: u64,
}

const EPS: f64 = 1e-2;

impl MeanStd {
    /// An identity normaliser (mean 0, std 1) for `dim` features.
    pub fn new(dim: usize) -> Self {
        Self {
            mean: vec![0.0; dim],
            mean_sq: vec![0.0; dim],
            std: vec![1.0; dim],
            count: 0,
            new_sum: vec![0.0; dim],
            new_sum_sq: vec![0.0; dim],
            new_count: 0,
        }
    }
    /// Whether this state fits `dim` features with finite statistics and positive standard
    /// deviations (a loaded policy or checkpoint is checked before use).
    pub fn fits(&self, dim: usize) -> bool {
        [
            &self.mean,
            &self.mean_sq,
            &self.std,
            &self.new_sum,
            &self.new_sum_sq,
        ]
        .iter()
        .all(|v| v.len() == dim && v.iter().all(|x| x.is_finite()))
            && self.std.iter().all(|&s| s > 0.0)
    }
    /// Feature count.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }
    /// Current mean.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Current standard deviation.
    pub fn std(&self) -> &[f64] {
        &self.std
    }
    /// `(x − mean) / std`, row by row (rows of length `dim`), computed in `f64` and rounded
    /// to the learner's precision `T`.
    pub fn normalize<T: Real>(&self, x: &[f64], out: &mut [T]) {
        self.normalize_strided(x, out, self.dim());
    }
    /// As [`MeanStd::normalize`], into rows `stride` apart (the first `dim` values of each):
    /// the observation block of a wider input such as a critic's `obs ‖ action`.
    pub fn normalize_strided<T: Real>(&self, x: &[f64], out: &mut [T], stride: usize) {
        let d = self.dim();
        for (row, o) in x.chunks_exact(d).zip(out.chunks_mut(stride)) {
            for k in 0..d {
                o[k] = T::of((row[k] - self.mean[k]) / self.std[k]);
            }
        }
    }
    /// Records rows for the next [`MeanStd::update`].
    pub fn record(&mut self, x: &[f64]) {
        for row in x.chunks_exact(self.dim()) {
            for (k, v) in row.iter().enumerate() {
                self.new_sum[k] += v;
                self.new_sum_sq[k] += v * v;
            }
            self.new_count += 1;
        }
    }
    /// Folds the recorded rows into the statistics (no-op when nothing was recorded).
    pub fn update(&mut self) {
        if self.new_count == 0 {
            return;
        }
        let total = self.count + self.new_count;
        let (w_old, w_new) = (
            self.count as f64 / total as f64,
            self.new_count as f64 / total as f64,
        );
        for k in 0..self.dim() {
            let nm = self.new_sum[k] / self.new_count as f64;
            let nsq = self.new_sum_sq[k] / self.new_count as f64;
            self.mean[k] = w_old * self.mean[k] + w_new * nm;
            self.mean_sq[k] = w_old * self.mean_sq[k] + w_new * nsq;
            let var = (self.mean_sq[k] - self.mean[k] * self.mean[k]).max(0.0);
            self.std[k] = var.sqrt().max(EPS);
            self.new_sum[k] = 0.0;
            self.new_sum_sq[k] = 0.0;
        }
        self.count = total;
        self.new_count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batched_updates_equal_the_pooled_statistics() {
        let data: Vec<f64> = (0..60)
            .map(|i| ((i * 37) % 11) as f64 * 0.3 - 1.0)
            .collect();
        let mut n = MeanStd::new(3);
        n.record(&data[..21]);
        n.update();
        n.record(&data[21..]);
        n.update();
        for k in 0..3 {
            let col: Vec<f64> = data.iter().skip(k).step_by(3).copied().collect();
            let m = col.iter().sum::<f64>() / col.len() as f64;
            let v = col.iter().map(|x| (x - m).powi(2)).sum::<f64>() / col.len() as f64;
            assert!((n.mean()[k] - m).abs() < 1e-12);
            assert!((n.std()[k] - v.sqrt().max(EPS)).abs() < 1e-12);
        }
        let mut c = MeanStd::new(2);
        c.record(&[5.0, 1.0, 5.0, 1.0]);
        c.update();
        assert_eq!(c.std(), &[EPS, EPS]);
        let mut out = [0.0f64; 2];
        c.normalize(&[5.0, 1.01], &mut out);
        assert!((out[1] - 1.0).abs() < 1e-9 && out[0] == 0.0);
    }
}
