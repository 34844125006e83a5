//! Connectome-like matrices with low effective rank, a loader for a user's matrix (CSV or NPY)
//! and the shuffle control that keeps the weight distribution and destroys the structure.

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a matrix file was refused.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file's contents are malformed.
    #[error("{path}: {msg}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// The matrix has the wrong shape.
    #[error("{path}: expected a {expected}x{expected} matrix (the hidden size), got {rows}x{cols}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// Required side.
        expected: usize,
        /// Rows found.
        rows: usize,
        /// Columns found.
        cols: usize,
    },
    /// A NaN or infinite entry.
    #[error("{path}: entry ({row}, {col}) is not finite ({value})")]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// Row.
        row: usize,
        /// Column.
        col: usize,
        /// The value.
        value: f64,
    },
    /// A generator parameter out of range.
    #[error("{what} = {got} is out of range: expected {expected}")]
    Param {
        /// Which parameter.
        what: &'static str,
        /// What it must satisfy.
        expected: &'static str,
        /// The value.
        got: f64,
    },
}

fn fmt_err(path: &Path, msg: impl Into<String>) -> LoadError {
    LoadError::Format {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// Loads a matrix from CSV (comma or whitespace separated, `#` comments) or NPY (`<f8`/`<f4`,
/// C order, 2-D), returning `(values row-major, rows, cols)`.
pub fn load_matrix(path: &Path) -> Result<(Vec<f64>, usize, usize), LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (v, rows, cols) = if bytes.starts_with(b"\x93NUMPY") {
        parse_npy(path, &bytes)?
    } else {
        parse_csv(path, &bytes)?
    };
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(LoadError::NonFinite {
            path: path.to_path_buf(),
            row: i / cols.max(1),
            col: i % cols.max(1),
            value: v[i],
        });
    }
    Ok((v, rows, cols))
}

/// Loads a matrix and requires it to be `n × n`.
pub fn load_square(path: &Path, n: usize) -> Result<Vec<f64>, LoadError> {
    let (v, rows, cols) = load_matrix(path)?;
    if rows != n || cols != n {
        return Err(LoadError::Shape {
            path: path.to_path_buf(),
            expected: n,
            rows,
            cols,
        });
    }
    Ok(v)
}

fn parse_csv(path: &Path, bytes: &[u8]) -> Result<(Vec<f64>, usize, usize), LoadError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| fmt_err(path, "not UTF-8 text and not an NPY file"))?;
    let mut v = Vec::new();
    let (mut rows, mut cols) = (0usize, None);
    for (ln, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut c = 0;
        for tok in line
            .split(|ch: char| ch == ',' || ch.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            let x: f64 = tok
                .parse()
                .map_err(|_| fmt_err(path, format!("line {}: {tok:?} is not a number", ln + 1)))?;
            v.push(x);
            c += 1;
        }
        match cols {
            None => cols = Some(c),
            Some(k) if k != c => {
                return Err(fmt_err(
                    path,
                    format!("line {}: expected {k} columns, got {c}", ln + 1),
                ));
            }
            _ => {}
        }
        rows += 1;
    }
    Ok((v, rows, cols.unwrap_or(0)))
}

fn parse_npy(path: &Path, b: &[u8]) -> Result<(Vec<f64>, usize, usize), LoadError> {
    if b.len() < 10 {
        return Err(fmt_err(path, "truncated NPY header"));
    }
    let (hlen, start) = match b[6] {
        1 => (usize::from(u16::from_le_bytes([b[8], b[9]])), 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        v => return Err(fmt_err(path, format!("unsupported NPY version {v}"))),
    };
    let header = b
        .get(start..start + hlen)
        .ok_or_else(|| fmt_err(path, "truncated NPY header"))?;
    let header = String::from_utf8_lossy(header);
    let field = |key: &str| {
        header
            .split(&format!("'{key}':"))
            .nth(1)
            .map(str::trim)
            .map(str::to_string)
    };
    let descr = field("descr").ok_or_else(|| fmt_err(path, "NPY header lacks descr"))?;
    let width = if descr.starts_with("'<f8'") {
        8
    } else if descr.starts_with("'<f4'") {
        4
    } else {
        return Err(fmt_err(
            path,
            format!(
                "expected dtype <f8 or <f4, got {}",
                descr.split(',').next().unwrap_or("")
            ),
        ));
    };
    if field("fortran_order").is_some_and(|f| f.starts_with("True")) {
        return Err(fmt_err(
            path,
            "Fortran-ordered arrays are not supported; save with C order",
        ));
    }
    let shape = field("shape").ok_or_else(|| fmt_err(path, "NPY header lacks shape"))?;
    let inner = shape
        .trim_start_matches('(')
        .split(')')
        .next()
        .unwrap_or("");
    let dims: Vec<usize> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| fmt_err(path, format!("bad shape {inner}")))
        })
        .collect::<Result<_, _>>()?;
    if dims.len() != 2 {
        return Err(fmt_err(
            path,
            format!("expected a 2-D array, got shape ({inner})"),
        ));
    }
    let data = &b[start + hlen..];
    let count = dims[0] * dims[1];
    if data.len() < count * width {
        return Err(fmt_err(
            path,
            format!(
                "data holds {} bytes, shape needs {}",
                data.len(),
                count * width
            ),
        ));
    }
    let v = (0..count)
        .map(|i| {
            let c = &data[i * width..(i + 1) * width];
            if width == 8 {
                f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
            } else {
                f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            }
        })
        .collect();
    Ok((v, dims[0], dims[1]))
}

/// Permutes all entries: same weight distribution, no structure (higher effective rank).
pub fn shuffle<R: Rng + ?Sized>(w: &mut [f64], rng: &mut R) {
    w.shuffle(rng);
}

/// Cell-type block connectivity: `types` types (the first ~80% of units excitatory types,
/// the rest inhibitory), connection probability `p_ab ~ U(0.05, 0.5)` and mean strength
/// `μ_ab ~ U(0.5, 1.5)` per type pair, entries `Bernoulli(p_ab)·μ_ab·|1 + 0.3ξ|` with the
/// presynaptic type's sign. The block means dominate, so the effective rank is low.
pub fn cell_types<R: Rng + ?Sized>(
    n: usize,
    types: usize,
    rng: &mut R,
) -> Result<Vec<f64>, LoadError> {
    if types == 0 || types > n {
        return Err(LoadError::Param {
            what: "types",
            expected: "1 <= types <= N",
            got: types as f64,
        });
    }
    let of = |i: usize| i * types / n;
    let n_exc_types = (types * 4).div_ceil(5).max(1);
    let p: Vec<f64> = (0..types * types)
        .map(|_| rng.random_range(0.05..0.5))
        .collect();
    let mu: Vec<f64> = (0..types * types)
        .map(|_| rng.random_range(0.5..1.5))
        .collect();
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (of(i), of(j));
            if rng.random::<f64>() < p[a * types + b] {
                let sign = if b < n_exc_types { 1.0 } else { -1.0 };
                let xi: f64 = rng.sample(StandardNormal);
                w[i * n + j] = sign * mu[a * types + b] * (1.0 + 0.3 * xi).abs();
            }
        }
    }
    Ok(w)
}

/// Watts–Strogatz small world: a ring lattice linking each unit to `k` neighbours on each
/// side, each link rewired to a random target with probability `p`; Gaussian weights.
pub fn small_world<R: Rng + ?Sized>(
    n: usize,
    k: usize,
    p: f64,
    rng: &mut R,
) -> Result<Vec<f64>, LoadError> {
    if k == 0 || 2 * k >= n {
        return Err(LoadError::Param {
            what: "k",
            expected: "1 <= k < N/2",
            got: k as f64,
        });
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(LoadError::Param {
            what: "p",
            expected: "0 <= p <= 1",
            got: p,
        });
    }
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for d in 1..=k {
            for j0 in [(i + d) % n, (i + n - d) % n] {
                let mut j = j0;
                if rng.random::<f64>() < p {
                    j = rng.random_range(0..n);
                    while j == i || w[i * n + j] != 0.0 {
                        j = rng.random_range(0..n);
                    }
                }
                w[i * n + j] = rng.sample(StandardNormal);
            }
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::effective_ranks;

    #[test]
    fn loader_reads_csv_and_npy_and_names_the_file_on_errors() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("w.csv");
        std::fs::write(&csv, "# weights\n1, 2\n3 4\n").unwrap();
        assert_eq!(load_square(&csv, 2).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        let e = load_square(&csv, 3).unwrap_err().to_string();
        assert!(
            e.contains("w.csv") && e.contains("expected a 3x3") && e.contains("got 2x2"),
            "{e}"
        );
        std::fs::write(&csv, "1,nan\n3,4\n").unwrap();
        let e = load_square(&csv, 2).unwrap_err().to_string();
        assert!(e.contains("entry (0, 1) is not finite"), "{e}");
        std::fs::write(&csv, "1,2\n3\n").unwrap();
        assert!(
            load_square(&csv, 2)
                .unwrap_err()
                .to_string()
                .contains("line 2: expected 2 columns")
        );
        // a hand-made NPY v1 file, float64, shape (2, 2)
        let mut header =
            String::from("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        for x in [1.5f64, -2.0, 0.25, 4.0] {
            b.extend_from_slice(&x.to_le_bytes());
        }
        let npy = dir.path().join("w.npy");
        std::fs::write(&npy, &b).unwrap();
        assert_eq!(load_square(&npy, 2).unwrap(), vec![1.5, -2.0, 0.25, 4.0]);
        assert!(
            load_matrix(&dir.path().join("missing.npy"))
                .unwrap_err()
                .to_string()
                .contains("missing.npy")
        );
    }

    #[test]
    fn structured_matrices_have_lower_effective_rank_than_their_shuffles() {
        let mut rng = nc_core::rng::stream(4, "connectome", 0);
        let n = 60;
        let w = cell_types(n, 4, &mut rng).unwrap();
        let mut s = w.clone();
        shuffle(&mut s, &mut rng);
        let (a, b) = (
            effective_ranks(&w, n, n).unwrap(),
            effective_ranks(&s, n, n).unwrap(),
        );
        assert!(
            a.nuclear < b.nuclear && a.entropy < b.entropy,
            "{a:?} vs {b:?}"
        );
        let mut sorted_w = w.clone();
        let mut sorted_s = s.clone();
        sorted_w.sort_by(f64::total_cmp);
        sorted_s.sort_by(f64::total_cmp);
        assert_eq!(sorted_w, sorted_s);
        assert!(small_world(10, 5, 0.1, &mut rng).is_err());
    }
}
