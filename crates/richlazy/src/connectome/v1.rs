//! Connectivity drawn from mouse V1 cell-class statistics (`data/v1_billeh2020.csv`):
//! the probability that a cell of class `a` connects to a cell of class `b` 75 µm away, and
//! the mean unitary PSP of such a connection, for excitatory (E), parvalbumin (PV) and
//! somatostatin (SST) cells of layers 2/3, 4, 5 and 6 (Billeh et al., Neuron 2020; see the
//! file's header for how the numbers reached us).
//!
//! A draw: units are split into the twelve classes by [`V1_FRACTIONS`]; entry `W[i, j]` (from
//! `j` to `i`) is nonzero with the probability of `class(j) → class(i)` and then equals that
//! pair's mean PSP, negative when `j` is PV or SST (Dale's law). No self-connections. The
//! caller rescales the matrix (the initialisations match `W₀`'s Frobenius norm).

use super::LoadError;
use rand::{Rng, RngExt};

/// The statistics, as shipped.
pub const V1_CSV: &str = include_str!("../../data/v1_billeh2020.csv");

/// The twelve classes, in table order.
pub const V1_CLASSES: [&str; 12] = [
    "E23", "PV23", "SST23", "E4", "PV4", "SST4", "E5", "PV5", "SST5", "E6", "PV6", "SST6",
];

/// The share of units in each class of [`V1_CLASSES`]. Not from the source, which gives no
/// cell counts: an assumption of four equal layers, each 85% E, 8% PV and 7% SST.
pub const V1_FRACTIONS: [f64; 12] = [
    0.2125, 0.02, 0.0175, 0.2125, 0.02, 0.0175, 0.2125, 0.02, 0.0175, 0.2125, 0.02, 0.0175,
];

/// Connection probability and mean PSP (mV) from class `pre` to class `post`, indexed
/// `[pre][post]`.
#[derive(Clone, Debug, PartialEq)]
pub struct V1Stats {
    /// Connection probabilities.
    pub probability: [[f64; 12]; 12],
    /// Mean unitary PSP amplitudes in mV (absolute values).
    pub upsp_mv: [[f64; 12]; 12],
}

fn bad(line: usize, msg: String) -> LoadError {
    LoadError::Format {
        path: "data/v1_billeh2020.csv".into(),
        msg: format!("line {line}: {msg}"),
    }
}

/// Parses a statistics table in the shipped format (`pre,post,probability,upsp_mv`, `#`
/// comments); every one of the 144 class pairs must appear once.
pub fn parse_v1_stats(text: &str) -> Result<V1Stats, LoadError> {
    let class = |s: &str, ln: usize| {
        V1_CLASSES.iter().position(|c| *c == s).ok_or_else(|| {
            bad(
                ln,
                format!("unknown class {s:?}: expected one of {V1_CLASSES:?}"),
            )
        })
    };
    let mut p = [[f64::NAN; 12]; 12];
    let mut s = [[f64::NAN; 12]; 12];
    let mut header = true;
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if header {
            if line != "pre,post,probability,upsp_mv" {
                return Err(bad(
                    ln,
                    format!("expected the header pre,post,probability,upsp_mv, got {line:?}"),
                ));
            }
            header = false;
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 4 {
            return Err(bad(ln, format!("expected 4 fields, got {}", f.len())));
        }
        let (a, b) = (class(f[0], ln)?, class(f[1], ln)?);
        let num = |k: usize, name: &str| -> Result<f64, LoadError> {
            f[k].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| bad(ln, format!("field {name}: {:?} is not a number >= 0", f[k])))
        };
        let (pr, mv) = (num(2, "probability")?, num(3, "upsp_mv")?);
        if pr > 1.0 {
            return Err(bad(ln, format!("field probability: {pr} is above 1")));
        }
        if !p[a][b].is_nan() {
            return Err(bad(ln, format!("{} -> {} appears twice", f[0], f[1])));
        }
        p[a][b] = pr;
        s[a][b] = mv;
    }
    for (a, row) in p.iter().enumerate() {
        if let Some(b) = row.iter().position(|v| v.is_nan()) {
            return Err(bad(
                0,
                format!("{} -> {} is missing", V1_CLASSES[a], V1_CLASSES[b]),
            ));
        }
    }
    Ok(V1Stats {
        probability: p,
        upsp_mv: s,
    })
}

/// The shipped statistics.
pub fn v1_stats() -> V1Stats {
    // the shipped table is tested to parse
    parse_v1_stats(V1_CSV).unwrap_or(V1Stats {
        probability: [[0.0; 12]; 12],
        upsp_mv: [[0.0; 12]; 12],
    })
}

/// The class of each of `n` units under [`V1_FRACTIONS`] (largest remainders, classes in
/// table order, contiguous blocks).
pub fn v1_classes(n: usize) -> Vec<usize> {
    let exact: Vec<f64> = V1_FRACTIONS.iter().map(|f| f * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|v| v.floor() as usize).collect();
    let mut rest: Vec<usize> = (0..12).collect();
    rest.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let short = n - counts.iter().sum::<usize>();
    for &k in rest.iter().take(short) {
        counts[k] += 1;
    }
    counts
        .iter()
        .enumerate()
        .flat_map(|(k, &c)| std::iter::repeat_n(k, c))
        .collect()
}

/// An `n × n` matrix drawn from `stats` (see the module docs).
pub fn v1_cell_classes<R: Rng + ?Sized>(
    n: usize,
    stats: &V1Stats,
    rng: &mut R,
) -> Result<Vec<f64>, LoadError> {
    if n < 12 {
        return Err(LoadError::Param {
            what: "n (V1 cell classes)",
            expected: ">= 12, one unit per class at least",
            got: n as f64,
        });
    }
    let cls = v1_classes(n);
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let (pre, post) = (cls[j], cls[i]);
            if rng.random::<f64>() < stats.probability[pre][post] {
                let sign = if V1_CLASSES[pre].starts_with('E') {
                    1.0
                } else {
                    -1.0
                };
                w[i * n + j] = sign * stats.upsp_mv[pre][post];
            }
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_bad_tables_say_where() {
        let s = parse_v1_stats(V1_CSV).unwrap();
        // spot checks against the file: E23 -> PV23 and SST23 -> PV23
        assert_eq!((s.probability[0][1], s.upsp_mv[0][1]), (0.395, 1.49));
        assert_eq!((s.probability[2][1], s.upsp_mv[2][1]), (0.857, 0.5));
        assert!((V1_FRACTIONS.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let e = parse_v1_stats("pre,post,probability,upsp_mv\nE23,XX,0.1,0.2\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("unknown class \"XX\""),
            "{e}"
        );
        let e = parse_v1_stats("pre,post,probability,upsp_mv\nE23,E23,1.5,0.2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("field probability: 1.5 is above 1"), "{e}");
        let e = parse_v1_stats("pre,post,probability,upsp_mv\nE23,E23,0.1,0.2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("is missing"), "{e}");
    }

    #[test]
    fn draws_follow_the_class_statistics() {
        let stats = v1_stats();
        let n = 400;
        let w = v1_cell_classes(n, &stats, &mut nc_core::rng::stream(1, "v1", 0)).unwrap();
        let cls = v1_classes(n);
        assert_eq!(cls.len(), n);
        // the E23 -> E23 block: connection rate near 0.16, every weight +0.36 mV
        let e23: Vec<usize> = (0..n).filter(|&i| cls[i] == 0).collect();
        let (mut hit, mut all) = (0usize, 0usize);
        for &i in &e23 {
            for &j in &e23 {
                if i != j {
                    all += 1;
                    let v = w[i * n + j];
                    if v != 0.0 {
                        hit += 1;
                        assert_eq!(v, 0.36);
                    }
                }
            }
        }
        let rate = hit as f64 / all as f64;
        let sd = (0.16 * 0.84 / all as f64).sqrt();
        assert!((rate - 0.16).abs() < 4.0 * sd, "{rate}");
        // inhibitory columns are never positive (Dale), no self-connections
        for i in 0..n {
            assert_eq!(w[i * n + i], 0.0);
            for j in 0..n {
                if !V1_CLASSES[cls[j]].starts_with('E') {
                    assert!(w[i * n + j] <= 0.0);
                }
            }
        }
        assert!(v1_cell_classes(5, &stats, &mut nc_core::rng::stream(1, "v1", 0)).is_err());
    }
}
