//! Initialisations of the recurrent matrix `W_h`.
//!
//! The knob of the paper is the algebraic rank: the rank-r truncated SVD of one Gaussian
//! `W₀ = g·G/√N`, renormalised to `W₀`'s Frobenius norm (the paper) or its spectral norm (the
//! reviewers' control). `W₀` depends on the seed only, so every rank of a seed is a paired
//! comparison.

use crate::connectome::{self, LoadError};
use crate::linalg::{LinalgError, Svd, frobenius, haar_orthogonal, svd};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use thiserror::Error;

/// Which norm a rank-r truncation keeps equal to `W₀`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Renorm {
    /// Same Frobenius norm (the paper's default).
    Frobenius,
    /// Same spectral norm (largest singular value).
    Spectral,
}

/// How to build `W_h(0)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InitSpec {
    /// `g·G/√N`, `G_ij ~ N(0, 1)`.
    Gaussian,
    /// Rank-r truncated SVD of the seed's Gaussian `W₀`, renormalised.
    LowRank {
        /// The rank r, `1 ≤ r ≤ N`.
        rank: usize,
        /// Which norm to match.
        renorm: Renorm,
    },
    /// `g·Q`, Q Haar-orthogonal (Frobenius norm g√N, like the Gaussian's).
    Orthogonal,
    /// Task-aligned rank r: maps the span of the input weights onto the span of the readout
    /// weights, `Σ_{i<r} q_out,i q_in,iᵀ`, scaled to `W₀`'s Frobenius norm.
    Aligned {
        /// The rank r, at most the number of input channels and of outputs.
        rank: usize,
    },
    /// Dale's law: `|W₀|` with columns `0..round(frac_exc·N)` excitatory and the rest
    /// inhibitory, rescaled to `W₀`'s Frobenius norm; `balanced` scales the inhibitory part so
    /// every row sums to zero on average.
    Dale {
        /// Fraction of excitatory units.
        frac_exc: f64,
        /// Balance E and I.
        balanced: bool,
    },
    /// Connectome-like cell-type block structure (see [`connectome::cell_types`]).
    CellTypes {
        /// Number of cell types.
        types: usize,
        /// Scale the inhibitory entries so that all entries sum to zero (E/I balance): the
        /// net-excitatory mean, a large outlier that drives a ReLU network to blow up, goes,
        /// and the type blocks remain.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        balanced: bool,
    },
    /// Watts–Strogatz small world (see [`connectome::small_world`]).
    SmallWorld {
        /// Neighbours on each side in the ring lattice.
        k: usize,
        /// Rewiring probability.
        p: f64,
    },
    /// Mouse V1 cell-class statistics (Billeh et al. 2020; see [`connectome::v1`]),
    /// rescaled to `W₀`'s Frobenius norm.
    V1,
    /// A user matrix from a file (dense CSV, NPY, an edge list or safetensors; see
    /// [`connectome::load`]), rescaled to `W₀`'s Frobenius norm.
    File {
        /// The file.
        path: PathBuf,
        /// The tensor to use from a safetensors file holding several.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tensor: Option<String>,
    },
    /// A user matrix given in memory (row-major `n × n`, e.g. a numpy array passed from
    /// Python), rescaled to `W₀`'s Frobenius norm as [`InitSpec::File`] is.
    Matrix {
        /// Its side.
        n: usize,
        /// Its entries, row-major.
        values: Vec<f64>,
    },
}

impl InitSpec {
    /// A short label for tables and file names.
    pub fn label(&self) -> String {
        match self {
            Self::Gaussian => "gaussian".into(),
            Self::LowRank {
                rank,
                renorm: Renorm::Frobenius,
            } => format!("rank{rank}"),
            Self::LowRank {
                rank,
                renorm: Renorm::Spectral,
            } => format!("rank{rank}-spec"),
            Self::Orthogonal => "orthogonal".into(),
            Self::Aligned { rank } => format!("aligned{rank}"),
            Self::Dale { frac_exc, balanced } => format!(
                "dale{:.0}{}",
                frac_exc * 100.0,
                if *balanced { "-bal" } else { "" }
            ),
            Self::CellTypes { types, balanced } => {
                format!("celltypes{types}{}", if *balanced { "-bal" } else { "" })
            }
            Self::SmallWorld { k, p } => format!("smallworld-k{k}-p{p}"),
            Self::V1 => "v1-billeh2020".into(),
            Self::File { path, .. } => format!(
                "file-{}",
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            Self::Matrix { .. } => "matrix".into(),
        }
    }
}

/// Why an initialisation could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InitError {
    /// A rank outside `1..=max`.
    #[error("rank {rank} is out of range: expected 1 <= rank <= {max}")]
    Rank {
        /// The rank asked for.
        rank: usize,
        /// The largest allowed.
        max: usize,
    },
    /// A parameter outside its range.
    #[error("{what} = {got} is out of range: expected {expected}")]
    Param {
        /// Which parameter.
        what: &'static str,
        /// What it must satisfy.
        expected: &'static str,
        /// The value.
        got: f64,
    },
    /// An SVD failed.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// A user matrix could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// `g·G/√N` as a row-major `n × n` matrix.
pub fn gaussian<R: Rng + ?Sized>(n: usize, gain: f64, rng: &mut R) -> Vec<f64> {
    let s = gain / (n as f64).sqrt();
    (0..n * n)
        .map(|_| s * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// One Gaussian `W₀` and its SVD, shared by every rank of a seed.
#[derive(Clone, Debug)]
pub struct RankFamily {
    /// `W₀`.
    pub w0: Vec<f64>,
    /// Its SVD.
    pub svd: Svd,
    /// Size N.
    pub n: usize,
}

impl RankFamily {
    /// Draws `W₀` and decomposes it.
    pub fn new<R: Rng + ?Sized>(n: usize, gain: f64, rng: &mut R) -> Result<Self, InitError> {
        let w0 = gaussian(n, gain, rng);
        let svd = svd(&w0, n, n)?;
        Ok(Self { w0, svd, n })
    }

    /// The rank-r truncation, renormalised.
    pub fn rank(&self, rank: usize, renorm: Renorm) -> Result<Vec<f64>, InitError> {
        if rank == 0 || rank > self.n {
            return Err(InitError::Rank { rank, max: self.n });
        }
        let mut w = self.svd.truncate(rank);
        let scale = match renorm {
            Renorm::Frobenius => frobenius(&self.w0) / frobenius(&w),
            Renorm::Spectral => 1.0, // the top singular value is kept as is
        };
        w.iter_mut().for_each(|v| *v *= scale);
        Ok(w)
    }
}

fn rescale(w: &mut [f64], target_fro: f64) {
    let f = frobenius(w);
    if f > 0.0 {
        w.iter_mut().for_each(|v| *v *= target_fro / f);
    }
}

/// Orthonormal basis (Gram–Schmidt) of the given vectors, each of length n.
fn orthonormal(vs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for v in vs {
        let mut u = v.clone();
        for q in &out {
            let d: f64 = u.iter().zip(q).map(|(a, b)| a * b).sum();
            u.iter_mut().zip(q).for_each(|(a, b)| *a -= d * b);
        }
        let nrm = frobenius(&u);
        if nrm > 1e-12 {
            u.iter_mut().for_each(|a| *a /= nrm);
            out.push(u);
        }
    }
    out
}

/// Context an initialisation may need beyond `W₀`.
#[derive(Clone, Copy, Debug)]
pub struct InitContext<'a> {
    /// Input weights, `n × n_in` row-major.
    pub w_in: &'a [f64],
    /// Input channels.
    pub n_in: usize,
    /// Readout weights, `n_out × n` row-major.
    pub w_out: &'a [f64],
    /// Outputs.
    pub n_out: usize,
}

/// Builds `W_h(0)` for `spec` from the seed's family (`W₀` and its SVD) and `rng`.
pub fn build<R: Rng + ?Sized>(
    spec: &InitSpec,
    fam: &RankFamily,
    gain: f64,
    ctx: InitContext<'_>,
    rng: &mut R,
) -> Result<Vec<f64>, InitError> {
    let n = fam.n;
    let target = frobenius(&fam.w0);
    match spec {
        InitSpec::Gaussian => Ok(fam.w0.clone()),
        InitSpec::LowRank { rank, renorm } => fam.rank(*rank, *renorm),
        InitSpec::Orthogonal => {
            let g = gaussian(n, 1.0, rng);
            let mut q = haar_orthogonal(&g, n);
            q.iter_mut().for_each(|v| *v *= gain);
            Ok(q)
        }
        InitSpec::Aligned { rank } => {
            let max = ctx.n_in.min(ctx.n_out).min(n);
            if *rank == 0 || *rank > max {
                return Err(InitError::Rank { rank: *rank, max });
            }
            let ins: Vec<Vec<f64>> = (0..ctx.n_in)
                .map(|j| (0..n).map(|i| ctx.w_in[i * ctx.n_in + j]).collect())
                .collect();
            let outs: Vec<Vec<f64>> = (0..ctx.n_out)
                .map(|k| ctx.w_out[k * n..(k + 1) * n].to_vec())
                .collect();
            let (qi, qo) = (orthonormal(&ins), orthonormal(&outs));
            let r = (*rank).min(qi.len()).min(qo.len());
            let mut w = vec![0.0; n * n];
            for q in 0..r {
                for i in 0..n {
                    for j in 0..n {
                        w[i * n + j] += qo[q][i] * qi[q][j];
                    }
                }
            }
            rescale(&mut w, target);
            Ok(w)
        }
        InitSpec::Dale { frac_exc, balanced } => {
            if !(0.0..=1.0).contains(frac_exc) {
                return Err(InitError::Param {
                    what: "frac_exc",
                    expected: "0 <= frac_exc <= 1",
                    got: *frac_exc,
                });
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ne = ((frac_exc * n as f64).round() as usize).min(n);
            let mut w: Vec<f64> = fam.w0.iter().map(|v| v.abs()).collect();
            let (mut se, mut si) = (0.0, 0.0);
            for i in 0..n {
                for j in 0..n {
                    if j < ne {
                        se += w[i * n + j]
                    } else {
                        si += w[i * n + j]
                    }
                }
            }
            let inh = if *balanced && si > 0.0 { se / si } else { 1.0 };
            for i in 0..n {
                for j in ne..n {
                    w[i * n + j] *= -inh;
                }
            }
            rescale(&mut w, target);
            Ok(w)
        }
        InitSpec::CellTypes { types, balanced } => {
            let mut w = connectome::cell_types(n, *types, rng)?;
            if *balanced {
                let se: f64 = w.iter().filter(|v| **v > 0.0).sum();
                let si: f64 = -w.iter().filter(|v| **v < 0.0).sum::<f64>();
                if si > 0.0 {
                    w.iter_mut()
                        .filter(|v| **v < 0.0)
                        .for_each(|v| *v *= se / si);
                }
            }
            rescale(&mut w, target);
            Ok(w)
        }
        InitSpec::SmallWorld { k, p } => {
            let mut w = connectome::small_world(n, *k, *p, rng)?;
            rescale(&mut w, target);
            Ok(w)
        }
        InitSpec::V1 => {
            let mut w = connectome::v1_cell_classes(n, &connectome::v1_stats(), rng)?;
            rescale(&mut w, target);
            Ok(w)
        }
        InitSpec::File { path, tensor } => {
            let mut w = connectome::load_square(path, n, tensor.as_deref())?;
            rescale(&mut w, target);
            Ok(w)
        }
        InitSpec::Matrix { n: side, values } => {
            let here = || PathBuf::from("<matrix>");
            if *side != n || values.len() != n * n {
                return Err(LoadError::Shape {
                    path: here(),
                    expected: n,
                    rows: *side,
                    cols: values.len() / (*side).max(1),
                }
                .into());
            }
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(LoadError::NonFinite {
                    path: here(),
                    row: i / n,
                    col: i % n,
                    value: values[i],
                }
                .into());
            }
            let mut w = values.clone();
            rescale(&mut w, target);
            Ok(w)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::singular_values;

    #[test]
    fn low_rank_keeps_norm_and_rank() {
        let mut rng = nc_core::rng::stream(1, "w0", 0);
        let fam = RankFamily::new(40, 1.25, &mut rng).unwrap();
        let f0 = frobenius(&fam.w0);
        let s0 = fam.svd.s[0];
        for r in [1, 5, 40] {
            let w = fam.rank(r, Renorm::Frobenius).unwrap();
            assert!((frobenius(&w) - f0).abs() < 1e-9 * f0);
            let s = singular_values(&w, 40, 40).unwrap();
            assert!(
                s[r - 1] > 1e-8 && s.get(r).is_none_or(|&v| v < 1e-8 * s[0]),
                "rank {r}"
            );
            let w = fam.rank(r, Renorm::Spectral).unwrap();
            let s = singular_values(&w, 40, 40).unwrap();
            assert!((s[0] - s0).abs() < 1e-9);
        }
        assert!(matches!(
            fam.rank(0, Renorm::Frobenius),
            Err(InitError::Rank { rank: 0, max: 40 })
        ));
        assert!(matches!(
            fam.rank(41, Renorm::Frobenius),
            Err(InitError::Rank { rank: 41, .. })
        ));
    }

    #[test]
    fn dale_signs_by_column() {
        let mut rng = nc_core::rng::stream(2, "w0", 0);
        let fam = RankFamily::new(10, 1.0, &mut rng).unwrap();
        let ctx = InitContext {
            w_in: &[],
            n_in: 0,
            w_out: &[],
            n_out: 0,
        };
        let w = build(
            &InitSpec::Dale {
                frac_exc: 0.8,
                balanced: true,
            },
            &fam,
            1.0,
            ctx,
            &mut rng,
        )
        .unwrap();
        for i in 0..10 {
            for j in 0..10 {
                assert!(if j < 8 {
                    w[i * 10 + j] >= 0.0
                } else {
                    w[i * 10 + j] <= 0.0
                });
            }
        }
        let total: f64 = w.iter().sum();
        assert!(total.abs() < 1e-9, "balanced: {total}");
        let w = build(
            &InitSpec::CellTypes {
                types: 5,
                balanced: true,
            },
            &fam,
            1.0,
            ctx,
            &mut rng,
        )
        .unwrap();
        assert!(w.iter().sum::<f64>().abs() < 1e-9 * frobenius(&w));
        assert!(w.iter().any(|v| *v < 0.0) && w.iter().any(|v| *v > 0.0));
    }

    #[test]
    fn a_matrix_in_memory_is_the_same_init_as_its_file() {
        let mut rng = nc_core::rng::stream(3, "w0", 0);
        let fam = RankFamily::new(4, 1.0, &mut rng).unwrap();
        let ctx = InitContext {
            w_in: &[],
            n_in: 0,
            w_out: &[],
            n_out: 0,
        };
        let values: Vec<f64> = (0..16).map(|i| f64::from(i) - 7.5).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.csv");
        let csv: Vec<String> = values
            .chunks(4)
            .map(|r| r.iter().map(f64::to_string).collect::<Vec<_>>().join(","))
            .collect();
        std::fs::write(&path, csv.join("\n")).unwrap();
        let from_file = build(
            &InitSpec::File { path, tensor: None },
            &fam,
            1.0,
            ctx,
            &mut rng,
        )
        .unwrap();
        let spec = InitSpec::Matrix { n: 4, values };
        let in_memory = build(&spec, &fam, 1.0, ctx, &mut rng).unwrap();
        assert_eq!(from_file, in_memory);
        assert!((frobenius(&in_memory) - frobenius(&fam.w0)).abs() < 1e-12);
        let wrong = InitSpec::Matrix {
            n: 3,
            values: vec![0.0; 9],
        };
        let e = build(&wrong, &fam, 1.0, ctx, &mut rng).unwrap_err();
        assert!(e.to_string().contains("expected a 4x4 matrix"), "{e}");
        let nan = InitSpec::Matrix {
            n: 4,
            values: vec![f64::NAN; 16],
        };
        assert!(build(&nan, &fam, 1.0, ctx, &mut rng).is_err());
    }
}
