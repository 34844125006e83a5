//! Statistics that survive heavy tails: medians, seeded bootstrap intervals and the exact
//! sign test for within-seed paired differences.
//!
//! One unusual seed (a rank-1 CXT run at 3.44 among 1.31–2.00) moves a mean and inflates a
//! standard deviation; it barely moves a median, and a paired sign test counts it once.

use rand::RngExt;

/// Resamples of every bootstrap interval.
pub const RESAMPLES: usize = 2000;
/// Coverage of every bootstrap interval.
pub const LEVEL: f64 = 0.95;
/// Significance level of every sign test.
pub const ALPHA: f64 = 0.05;

/// The median (mean of the middle two for an even count); NaN when empty.
///
/// ```
/// assert_eq!(nc_richlazy::stats::median(&[3.0, 1.0, 100.0]), 3.0);
/// assert_eq!(nc_richlazy::stats::median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
/// ```
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        0.5 * (s[m - 1] + s[m])
    }
}

/// Percentile bootstrap interval of the median at coverage [`LEVEL`], from [`RESAMPLES`]
/// resamples drawn from the stream `(seed, "bootstrap-<label>")`: the same data and label give
/// the same interval. The interval lies within `[min v, max v]`, so it never leaves the
/// range of the data (a non-negative measure never gets a negative bound). `(NaN, NaN)` when
/// empty.
pub fn bootstrap_median(v: &[f64], seed: u64, label: &str) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    if v.len() == 1 {
        return (v[0], v[0]);
    }
    let mut rng = nc_core::rng::stream(seed, &format!("bootstrap-{label}"), 0);
    let mut sample = vec![0.0; v.len()];
    let mut medians: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            for x in sample.iter_mut() {
                *x = v[rng.random_range(0..v.len())];
            }
            median(&sample)
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    let tail = (1.0 - LEVEL) / 2.0;
    let at = |q: f64| medians[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    (at(tail), at(1.0 - tail))
}

/// The exact one-sided sign test of paired differences: do they lean positive (or negative)
/// more than chance would? Zeros are dropped, as usual.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SignTest {
    /// Non-zero differences.
    pub n: usize,
    /// Of those, positive ones.
    pub positive: usize,
    /// `P(X ≥ positive)` for `X ~ Binomial(n, 1/2)`: small when the differences lean positive.
    pub p_positive: f64,
    /// `P(X ≤ positive)`: small when they lean negative.
    pub p_negative: f64,
}

impl SignTest {
    /// The test of `diffs`.
    ///
    /// ```
    /// let t = nc_richlazy::stats::SignTest::of(&[0.3, 1.2, 0.1, 2.0, 0.4]);
    /// assert_eq!((t.n, t.positive), (5, 5));
    /// assert!((t.p_positive - 1.0 / 32.0).abs() < 1e-15);
    /// ```
    pub fn of(diffs: &[f64]) -> SignTest {
        let n = diffs.iter().filter(|d| **d != 0.0).count();
        let positive = diffs.iter().filter(|d| **d > 0.0).count();
        let pmf = |k: usize| binomial(n, k) * 0.5f64.powi(n as i32);
        SignTest {
            n,
            positive,
            p_positive: (positive..=n).map(pmf).sum::<f64>().min(1.0),
            p_negative: (0..=positive).map(pmf).sum::<f64>().min(1.0),
        }
    }

    /// Whether the differences lean positive (`positive = true`) or negative at [`ALPHA`].
    pub fn significant(&self, positive: bool) -> bool {
        let p = if positive {
            self.p_positive
        } else {
            self.p_negative
        };
        p <= ALPHA
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
}

/// The fewest pairs with which a one-sided sign test can reach [`ALPHA`] at all (all
/// differences one way: `p = 2^-n`): 5. With fewer seeds no ordering claim can be decided,
/// whatever the numbers.
pub fn min_pairs_for_sign_test() -> usize {
    (1..64)
        .find(|&n| 0.5f64.powi(n as i32) <= ALPHA)
        .unwrap_or(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_interval_is_seeded_bracketing_and_within_the_data() {
        let v = [1.31, 1.58, 2.00, 3.44, 1.51];
        let (lo, hi) = bootstrap_median(&v, 0, "cxt");
        assert_eq!((lo, hi), bootstrap_median(&v, 0, "cxt"));
        assert!(lo <= median(&v) && median(&v) <= hi, "{lo} {hi}");
        assert!(lo >= 1.31 && hi <= 3.44);
        // the outlier pulls the mean outside the interval of the median, not the median
        let mean = v.iter().sum::<f64>() / 5.0;
        assert!(mean > median(&v));
        // non-negative data never get a negative bound (a mean - sd band would: 0.1 - 0.5)
        let w = [0.0, 0.0, 0.0, 0.05, 1.2];
        let (lo, _) = bootstrap_median(&w, 1, "w");
        assert!(lo >= 0.0);
        assert_eq!(bootstrap_median(&[2.0], 0, "x"), (2.0, 2.0));
        assert!(bootstrap_median(&[], 0, "x").0.is_nan());
    }

    #[test]
    fn sign_test_matches_the_binomial_by_hand() {
        // 4 of 5 positive: P(X >= 4) = (5 + 1) / 32
        let t = SignTest::of(&[1.0, 2.0, -0.5, 3.0, 0.2]);
        assert!((t.p_positive - 6.0 / 32.0).abs() < 1e-15);
        assert!((t.p_negative - 31.0 / 32.0).abs() < 1e-15);
        assert!(!t.significant(true));
        // zeros are dropped; all of 6 negative: p = 1/64
        let t = SignTest::of(&[-1.0, -2.0, 0.0, -3.0, -0.1, -0.2, -0.3]);
        assert_eq!((t.n, t.positive), (6, 0));
        assert!(t.significant(false) && !t.significant(true));
        assert_eq!(min_pairs_for_sign_test(), 5);
        // three seeds can never decide, however one-sided
        assert!(!SignTest::of(&[1.0, 2.0, 3.0]).significant(true));
    }
}
