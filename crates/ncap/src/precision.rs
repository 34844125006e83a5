//! The float type the learners train in: `f32` for speed, `f64` for the reference checks.
//!
//! Networks, gradients and optimiser moments live in the run's [`Precision`]; observations,
//! rewards, the normaliser's statistics, the per-row loss terms and NCAP's four weights stay
//! in `f64`. Saved networks and checkpoints hold every value as an `f64` (an `f32` widens
//! exactly), so files have one format and an `f32` run resumes bit for bit.

use nc_core::gemm::Scalar;
use num_traits::{Float, NumAssign};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::{Debug, Display};
use std::iter::Sum;

/// The float type of a learner's networks and optimiser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Single precision: the default for training (several times faster; `ncap precision`
    /// compares its curves with `f64`'s, and `docs/results/precision/` holds a run).
    #[default]
    F32,
    /// Double precision: the reference checks against PyTorch.
    F64,
}

impl Precision {
    /// The precision of configurations written before the switch existed, which trained in
    /// `f64` (serde's default for a missing field).
    pub fn legacy() -> Precision {
        Precision::F64
    }
    /// `"f32"` or `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(Precision::F32),
            "f64" => Ok(Precision::F64),
            _ => Err(format!("precision is f32 or f64, got {s:?}")),
        }
    }
}

/// A float the networks, their gradients and Adam run in.
pub trait Real: Scalar + Float + NumAssign + Sum + Debug + Display + Send + Sync {
    /// Which precision this is.
    const PRECISION: Precision;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn of(x: f64) -> Self;
    /// Widens to `f64` (exact).
    fn f64(self) -> f64;
}

impl Real for f32 {
    const PRECISION: Precision = Precision::F32;
    #[allow(clippy::cast_possible_truncation)]
    fn of(x: f64) -> Self {
        x as f32
    }
    fn f64(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    const PRECISION: Precision = Precision::F64;
    fn of(x: f64) -> Self {
        x
    }
    fn f64(self) -> f64 {
        self
    }
}

/// `xs` in another precision.
pub fn cast<T: Real, U: Real>(xs: &[T]) -> Vec<U> {
    xs.iter().map(|&x| U::of(x.f64())).collect()
}

/// Serde for a `Vec<T>` stored as `f64` numbers: widening is exact and decimal round trips of
/// `f64` are exact, so an `f32` vector comes back bit for bit.
pub mod wide {
    use super::*;

    /// Writes the values as `f64`.
    pub fn serialize<T: Real, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.f64()))
    }

    /// Reads `f64` values into `T`.
    pub fn deserialize<'de, T: Real, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        Ok(Vec::<f64>::deserialize(d)?.into_iter().map(T::of).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_vectors_round_trip_through_json_exactly() {
        #[derive(Serialize, Deserialize)]
        struct W {
            #[serde(with = "wide")]
            v: Vec<f32>,
        }
        let v: Vec<f32> = (1..2000)
            .map(|i| (i as f32 * 0.7311).sin() * 10f32.powi(i % 17 - 8))
            .chain([f32::MIN_POSITIVE, f32::MAX, -0.0, 1.0 + f32::EPSILON])
            .collect();
        let s = serde_json::to_string(&W { v: v.clone() }).unwrap();
        let back: W = serde_json::from_str(&s).unwrap();
        assert!(
            v.iter()
                .zip(&back.v)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert_eq!("f64".parse::<Precision>(), Ok(Precision::F64));
        assert!("f16".parse::<Precision>().is_err());
        assert_eq!(
            serde_json::to_string(&Precision::F32).unwrap(),
            "\"f32\"".to_string()
        );
    }
}
