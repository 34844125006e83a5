//! The user-matrix loader. Formats, told apart by content (then by extension):
//! - NPY (`\x93NUMPY` magic): a 2-D `<f8`/`<f4` array in C order,
//! - safetensors (`.safetensors`, or an 8-byte header length followed by `{`): the file's one
//!   2-D tensor, or the one named with `tensor`; F64, F32, F16 or BF16,
//! - a sparse edge list: CSV whose first line names the columns `pre`, `post` and `weight`
//!   (any order, other columns ignored). Node ids are any text; the ids of both columns are
//!   sorted (numerically when every id is an integer, else as text) and numbered 0…n−1 in
//!   that order, so a neuron that takes part in no edge is not in the matrix. An edge adds its
//!   weight to `W[post, pre]` (row: postsynaptic, as in `h ← W h`), so repeated edges sum,
//! - a dense CSV matrix (comma or whitespace separated, `#` comments).
//!
//! Every error names the file, the place (line, field, tensor) and what was expected.

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

/// Loads a matrix in any of the formats above (a safetensors file must hold exactly one 2-D
/// tensor), returning `(values row-major, rows, cols)`.
pub fn load_matrix(path: &Path) -> Result<(Vec<f64>, usize, usize), LoadError> {
    load_tensor(path, None)
}

/// [`load_matrix`], with the tensor of a safetensors file chosen by name (refused for the
/// other formats).
pub fn load_tensor(
    path: &Path,
    tensor: Option<&str>,
) -> Result<(Vec<f64>, usize, usize), LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_safetensors = path.extension().is_some_and(|e| e == "safetensors")
        || (bytes.len() > 8 && bytes[8] == b'{');
    if tensor.is_some() && !is_safetensors {
        return Err(fmt_err(
            path,
            "a tensor name was given, but the file is not safetensors",
        ));
    }
    let (v, rows, cols) = if bytes.starts_with(b"\x93NUMPY") {
        parse_npy(path, &bytes)?
    } else if is_safetensors {
        parse_safetensors(path, &bytes, tensor)?
    } else if is_edge_list(&bytes) {
        parse_edges(path, &bytes)?
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

/// Loads a matrix (the named tensor of a safetensors file, if given) and requires it to be
/// `n × n`.
pub fn load_square(path: &Path, n: usize, tensor: Option<&str>) -> Result<Vec<f64>, LoadError> {
    let (v, rows, cols) = load_tensor(path, tensor)?;
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

/// Whether a text file starts with an edge-list header (`pre`, `post` and `weight` columns).
fn is_edge_list(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let Some(first) = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
    else {
        return false;
    };
    let cols = header_columns(first);
    ["pre", "post", "weight"]
        .iter()
        .all(|k| cols.iter().any(|c| c == k))
}

fn header_columns(line: &str) -> Vec<String> {
    line.split(|ch: char| ch == ',' || ch.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_matches('"').to_ascii_lowercase())
        .collect()
}

/// A sparse edge list: `W[post, pre] += weight`, ids numbered in sorted order.
fn parse_edges(path: &Path, bytes: &[u8]) -> Result<(Vec<f64>, usize, usize), LoadError> {
    let text = std::str::from_utf8(bytes).map_err(|_| fmt_err(path, "not UTF-8 text"))?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("").trim()))
        .filter(|(_, l)| !l.is_empty());
    let (_, head) = lines
        .next()
        .ok_or_else(|| fmt_err(path, "empty edge list"))?;
    let cols = header_columns(head);
    let at = |k: &str| cols.iter().position(|c| c == k).unwrap_or(usize::MAX);
    let (ipre, ipost, iw) = (at("pre"), at("post"), at("weight"));
    let mut edges: Vec<(String, String, f64)> = Vec::new();
    for (ln, line) in lines {
        let f: Vec<&str> = line
            .split(|ch: char| ch == ',' || ch.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(|t| t.trim_matches('"'))
            .collect();
        if f.len() != cols.len() {
            return Err(fmt_err(
                path,
                format!(
                    "line {ln}: expected {} fields ({}), got {}",
                    cols.len(),
                    cols.join(","),
                    f.len()
                ),
            ));
        }
        let w: f64 = f[iw].parse().map_err(|_| {
            fmt_err(
                path,
                format!("line {ln}, field weight: {:?} is not a number", f[iw]),
            )
        })?;
        if !w.is_finite() {
            return Err(fmt_err(
                path,
                format!("line {ln}, field weight: {w} is not finite"),
            ));
        }
        edges.push((f[ipre].to_string(), f[ipost].to_string(), w));
    }
    if edges.is_empty() {
        return Err(fmt_err(path, "the edge list has a header but no edges"));
    }
    let mut ids: Vec<&str> = edges
        .iter()
        .flat_map(|(a, b, _)| [a.as_str(), b.as_str()])
        .collect();
    if ids.iter().all(|i| i.parse::<i64>().is_ok()) {
        ids.sort_by_key(|i| i.parse::<i64>().unwrap_or(0));
    } else {
        ids.sort_unstable();
    }
    ids.dedup();
    let n = ids.len();
    let index: std::collections::HashMap<&str, usize> =
        ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
    let mut w = vec![0.0; n * n];
    for (pre, post, v) in &edges {
        w[index[post.as_str()] * n + index[pre.as_str()]] += v;
    }
    Ok((w, n, n))
}

/// The one 2-D tensor of a safetensors file, or the one named `tensor`.
fn parse_safetensors(
    path: &Path,
    bytes: &[u8],
    tensor: Option<&str>,
) -> Result<(Vec<f64>, usize, usize), LoadError> {
    use safetensors::{Dtype, SafeTensors};
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| fmt_err(path, format!("not a valid safetensors file: {e}")))?;
    let mut names: Vec<String> = st.names().into_iter().map(ToString::to_string).collect();
    names.sort();
    let name = match tensor {
        Some(t) => {
            if !names.iter().any(|n| n == t) {
                return Err(fmt_err(
                    path,
                    format!("no tensor named {t:?}; the file holds {names:?}"),
                ));
            }
            t.to_string()
        }
        None => {
            let two_d: Vec<&String> = names
                .iter()
                .filter(|n| st.tensor(n).is_ok_and(|t| t.shape().len() == 2))
                .collect();
            match two_d.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(fmt_err(
                        path,
                        format!("expected a 2-D tensor; the file holds {names:?}, none 2-D"),
                    ));
                }
                many => {
                    return Err(fmt_err(
                        path,
                        format!("holds several 2-D tensors {many:?}: name one (--tensor NAME)"),
                    ));
                }
            }
        }
    };
    let t = st
        .tensor(&name)
        .map_err(|e| fmt_err(path, format!("tensor {name:?}: {e}")))?;
    let shape = t.shape().to_vec();
    if shape.len() != 2 {
        return Err(fmt_err(
            path,
            format!("tensor {name:?}: expected 2-D, got shape {shape:?}"),
        ));
    }
    let data = t.data();
    let v: Vec<f64> = match t.dtype() {
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect(),
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap_or([0; 4]))))
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|c| {
                f64::from(f32::from_bits(
                    u32::from(u16::from_le_bytes([c[0], c[1]])) << 16,
                ))
            })
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|c| f16_to_f64(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        other => {
            return Err(fmt_err(
                path,
                format!("tensor {name:?}: expected dtype F64, F32, F16 or BF16, got {other:?}"),
            ));
        }
    };
    Ok((v, shape[0], shape[1]))
}

/// IEEE half precision to f64.
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// Effective ranks of a loaded matrix as given, after renormalisation to a Frobenius norm
/// and after shuffling its entries (the structure control).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MatrixReport {
    /// Side of the matrix.
    pub n: usize,
    /// Its Frobenius norm as loaded.
    pub frobenius: f64,
    /// The Frobenius norm it is rescaled to.
    pub target: f64,
    /// Effective ranks as loaded.
    pub raw: crate::measures::EffectiveRanks,
    /// After rescaling to `target` (the same: every rank here is scale-free).
    pub renormalised: crate::measures::EffectiveRanks,
    /// After rescaling and shuffling every entry (seeded).
    pub shuffled: crate::measures::EffectiveRanks,
}

/// The [`MatrixReport`] of an `n × n` matrix `w` rescaled to Frobenius norm `target` (the
/// Gaussian `W₀ = g·G/√N` has `‖W₀‖_F ≈ g√N`), shuffled with `seed`.
pub fn matrix_report(
    w: &[f64],
    n: usize,
    target: f64,
    seed: u64,
) -> Result<MatrixReport, crate::linalg::LinalgError> {
    use crate::measures::effective_ranks;
    let frobenius = crate::linalg::frobenius(w);
    let scale = if frobenius > 0.0 {
        target / frobenius
    } else {
        0.0
    };
    let renorm: Vec<f64> = w.iter().map(|v| v * scale).collect();
    let mut shuffled = renorm.clone();
    super::shuffle(
        &mut shuffled,
        &mut nc_core::rng::stream(seed, "matrix-report", 0),
    );
    Ok(MatrixReport {
        n,
        frobenius,
        target,
        raw: effective_ranks(w, n, n)?,
        renormalised: effective_ranks(&renorm, n, n)?,
        shuffled: effective_ranks(&shuffled, n, n)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_reads_csv_and_npy_and_names_the_file_on_errors() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("w.csv");
        std::fs::write(&csv, "# weights\n1, 2\n3 4\n").unwrap();
        assert_eq!(
            load_square(&csv, 2, None).unwrap(),
            vec![1.0, 2.0, 3.0, 4.0]
        );
        let e = load_square(&csv, 3, None).unwrap_err().to_string();
        assert!(
            e.contains("w.csv") && e.contains("expected a 3x3") && e.contains("got 2x2"),
            "{e}"
        );
        std::fs::write(&csv, "1,nan\n3,4\n").unwrap();
        let e = load_square(&csv, 2, None).unwrap_err().to_string();
        assert!(e.contains("entry (0, 1) is not finite"), "{e}");
        std::fs::write(&csv, "1,2\n3\n").unwrap();
        assert!(
            load_square(&csv, 2, None)
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
        assert_eq!(
            load_square(&npy, 2, None).unwrap(),
            vec![1.5, -2.0, 0.25, 4.0]
        );
        assert!(
            load_matrix(&dir.path().join("missing.npy"))
                .unwrap_err()
                .to_string()
                .contains("missing.npy")
        );
    }
}
