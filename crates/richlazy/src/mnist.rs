//! Sequential MNIST from IDX files the user supplies (no downloads): one pixel row per step,
//! 28 steps, 28 inputs in [0, 1], 10 classes, loss on the last step only.

use crate::tasks::{Batch, LossSteps};
use rand::Rng;
use rand::seq::SliceRandom;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Image file name inside the MNIST folder.
pub const IMAGES: &str = "train-images-idx3-ubyte";
/// Label file name inside the MNIST folder.
pub const LABELS: &str = "train-labels-idx1-ubyte";

/// Why the MNIST files could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MnistError {
    /// A file is missing.
    #[error(
        "MNIST file {path} is missing: put the uncompressed {name} (from the MNIST distribution) in that folder"
    )]
    Missing {
        /// Where it was looked for.
        path: PathBuf,
        /// Its expected name.
        name: &'static str,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not valid IDX of the expected kind.
    #[error("{path}: {msg}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
}

/// The training images and labels.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Pixels in [0, 1], `images[i·784 + r·28 + c]`.
    pub images: Vec<f32>,
    /// Labels 0–9.
    pub labels: Vec<u8>,
}

fn read(path: &Path, name: &'static str) -> Result<Vec<u8>, MnistError> {
    if !path.exists() {
        return Err(MnistError::Missing {
            path: path.to_path_buf(),
            name,
        });
    }
    std::fs::read(path).map_err(|source| MnistError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// Loads `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` from `dir`.
pub fn load(dir: &Path) -> Result<Mnist, MnistError> {
    let (ip, lp) = (dir.join(IMAGES), dir.join(LABELS));
    let (ib, lb) = (read(&ip, IMAGES)?, read(&lp, LABELS)?);
    let bad = |p: &Path, msg: String| MnistError::Format {
        path: p.to_path_buf(),
        msg,
    };
    if ib.len() < 16 || be32(&ib, 0) != 0x0803 {
        return Err(bad(
            &ip,
            "not an IDX3 ubyte image file (magic 0x00000803)".into(),
        ));
    }
    if lb.len() < 8 || be32(&lb, 0) != 0x0801 {
        return Err(bad(
            &lp,
            "not an IDX1 ubyte label file (magic 0x00000801)".into(),
        ));
    }
    let (n, rows, cols) = (be32(&ib, 4), be32(&ib, 8), be32(&ib, 12));
    if rows != 28 || cols != 28 {
        return Err(bad(
            &ip,
            format!("expected 28x28 images, got {rows}x{cols}"),
        ));
    }
    if ib.len() != 16 + n * 784 {
        return Err(bad(
            &ip,
            format!(
                "header says {n} images ({} bytes) but the file holds {}",
                16 + n * 784,
                ib.len()
            ),
        ));
    }
    let nl = be32(&lb, 4);
    if nl != n || lb.len() != 8 + n {
        return Err(bad(
            &lp,
            format!(
                "expected {n} labels to match the images, header says {nl}, file holds {}",
                lb.len().saturating_sub(8)
            ),
        ));
    }
    if let Some(i) = lb[8..].iter().position(|&l| l > 9) {
        return Err(bad(
            &lp,
            format!("label {} at index {i} is not a digit", lb[8 + i]),
        ));
    }
    Ok(Mnist {
        images: ib[16..].iter().map(|&p| f32::from(p) / 255.0).collect(),
        labels: lb[8..].to_vec(),
    })
}

impl Mnist {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// A seeded random split into (train, validation) index lists, e.g. 55,000 / 5,000.
    pub fn split<R: Rng + ?Sized>(&self, n_val: usize, rng: &mut R) -> (Vec<usize>, Vec<usize>) {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.shuffle(rng);
        let val = idx.split_off(self.len().saturating_sub(n_val));
        (idx, val)
    }

    /// The batch of images `idx`: 28 steps (rows) × 28 inputs, labels on the last step.
    pub fn batch(&self, idx: &[usize]) -> Batch {
        let b = idx.len();
        let mut x = vec![0.0; 28 * b * 28];
        let mut labels = vec![0u32; 28 * b];
        for (j, &i) in idx.iter().enumerate() {
            for r in 0..28 {
                for c in 0..28 {
                    x[(r * b + j) * 28 + c] = f64::from(self.images[i * 784 + r * 28 + c]);
                }
            }
            labels[27 * b + j] = u32::from(self.labels[i]);
        }
        Batch {
            steps: 28,
            batch: b,
            n_in: 28,
            n_out: 10,
            x,
            labels,
            loss_steps: LossSteps::Last,
            decision_step: 27,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_name_the_path_and_tiny_idx_files_load() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains(IMAGES) && e.contains("is missing"), "{e}");
        let mut ib = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28];
        ib.extend((0..2 * 784).map(|i| (i % 256) as u8));
        let lb = vec![0, 0, 8, 1, 0, 0, 0, 2, 7, 3];
        std::fs::write(dir.path().join(IMAGES), &ib).unwrap();
        std::fs::write(dir.path().join(LABELS), &lb).unwrap();
        let m = load(dir.path()).unwrap();
        assert_eq!(m.len(), 2);
        let b = m.batch(&[1, 0]);
        assert_eq!(
            (b.steps, b.n_in, b.labels[27 * 2], b.labels[27 * 2 + 1]),
            (28, 28, 3, 7)
        );
        // image 1, row 2, column 5 is byte 784 + 61
        assert!((b.input(2, 0)[5] - f64::from(((784 + 61) % 256) as u8) / 255.0).abs() < 1e-7);
        std::fs::write(dir.path().join(LABELS), [0, 0, 8, 1, 0, 0, 0, 3, 7, 3, 1]).unwrap();
        assert!(
            load(dir.path())
                .unwrap_err()
                .to_string()
                .contains("expected 2 labels")
        );
    }
}
