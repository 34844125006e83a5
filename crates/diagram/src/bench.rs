//! Timing the executor against PyTorch in the same run, behind `neurocircuits diagram bench`
//! and `benches/exec.rs`.
//!
//! The workload is forward + backward of a zoo model at its default bindings, f32, one
//! thread, with a fixed output cotangent `w[j] = sin(0.11·j + 0.3)` (a plain sum would give a
//! zero gradient through a softmax). The PyTorch peer, `tools/reference/diagram/torch_bench.py`,
//! builds the same models and times the same step with `torch.set_num_threads(1)`.

use crate::backprop::{Gradients, backward};
use crate::exec::{Bound, ExecError, Params, forward, init_params, random_inputs};
use crate::ir::Circuit;
use crate::tensor::Tensor;
use crate::zoo;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The PyTorch timing script (run with a Python that has torch 2.15.0). It lives in the
/// crate (`reference/torch_bench.py`), so `cargo package` carries it;
/// `tools/reference/diagram/torch_bench.py`, where the other reference scripts are, is a
/// symbolic link to it.
pub const TORCH_BENCH_PY: &str = include_str!("../reference/torch_bench.py");

/// The models both sides time, with their default number of timed repeats.
pub const MODELS: [(&str, usize); 2] = [("mha", 200), ("resnet", 30)];

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The model is not one the peer script knows.
    #[error("no benchmark model `{0}`; choose mha, resnet or all")]
    UnknownModel(String),
    /// Our executor failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The Python interpreter could not be started.
    #[error("could not start {python}")]
    Spawn {
        /// The interpreter.
        python: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The PyTorch script exited with an error.
    #[error("the PyTorch timing script failed ({status}): {stderr}")]
    Script {
        /// Its exit status.
        status: String,
        /// What it wrote to stderr.
        stderr: String,
    },
    /// The PyTorch script's output was not the expected JSON.
    #[error("reading the PyTorch timing output: {0}")]
    Output(String),
}

/// The models `name` selects ("all" selects every one).
pub fn select(name: &str) -> Result<Vec<(&'static str, usize)>, BenchError> {
    if name == "all" {
        return Ok(MODELS.to_vec());
    }
    MODELS
        .iter()
        .find(|(m, _)| *m == name)
        .map(|m| vec![*m])
        .ok_or_else(|| BenchError::UnknownModel(name.to_string()))
}

/// One model's forward + backward, ready to run repeatedly.
pub struct Workload {
    circuit: Circuit,
    bound: Bound,
    params: Params<f32>,
    inputs: Vec<Tensor<f32>>,
    out_grads: Vec<Tensor<f32>>,
}

impl Workload {
    /// Builds zoo model `name` at its default bindings with seeded parameters and inputs.
    pub fn new(name: &str) -> Result<Workload, BenchError> {
        let circuit = zoo::get(name).ok_or_else(|| BenchError::UnknownModel(name.to_string()))?;
        let bound = Bound::new(&circuit, &circuit.default_bindings())?;
        let params = init_params::<f32>(&circuit, &bound, 1);
        let inputs = random_inputs::<f32>(&circuit, &bound, 2);
        let tape = forward(&circuit, &bound, &params, &inputs)?;
        let out_grads = (0..circuit.outputs.len())
            .map(|i| {
                let y = tape
                    .output(&circuit, i)
                    .ok_or_else(|| ExecError::Grad(format!("output {i} was not computed")))?;
                let w = (0..y.data.len())
                    .map(|j| (0.11 * j as f32 + 0.3).sin())
                    .collect();
                Ok(Tensor::from_vec(y.axes.clone(), y.dims.clone(), w))
            })
            .collect::<Result<Vec<_>, ExecError>>()?;
        Ok(Workload {
            circuit,
            bound,
            params,
            inputs,
            out_grads,
        })
    }

    /// One forward + backward pass.
    pub fn step(&self) -> Result<Gradients<f32>, ExecError> {
        let tape = forward(&self.circuit, &self.bound, &self.params, &self.inputs)?;
        backward(
            &self.circuit,
            &self.bound,
            &self.params,
            &tape,
            &self.out_grads,
        )
    }
}

/// Wall-clock seconds per step.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Median over the timed repeats.
    pub median_s: f64,
    /// Fastest repeat.
    pub min_s: f64,
    /// Timed repeats.
    pub repeats: usize,
}

impl Timing {
    fn of(mut samples: Vec<f64>) -> Timing {
        samples.sort_by(f64::total_cmp);
        Timing {
            median_s: samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN),
            min_s: samples.first().copied().unwrap_or(f64::NAN),
            repeats: samples.len(),
        }
    }
}

/// Times our forward + backward of zoo model `name`: `warmup` untimed steps, then the median
/// of `repeats` timed ones.
pub fn time_ours(name: &str, repeats: usize, warmup: usize) -> Result<Timing, BenchError> {
    let w = Workload::new(name)?;
    Ok(Timing::of(samples(&w, repeats.max(1), warmup)?))
}

/// Seconds of each of `repeats` steps after `warmup` untimed ones.
fn samples(w: &Workload, repeats: usize, warmup: usize) -> Result<Vec<f64>, BenchError> {
    for _ in 0..warmup {
        w.step()?;
    }
    let mut out = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t0 = Instant::now();
        w.step()?;
        out.push(t0.elapsed().as_secs_f64());
    }
    Ok(out)
}

/// PyTorch's timing of the same step, as its script reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchTiming {
    /// Seconds per step.
    pub timing: Timing,
    /// `torch.__version__`.
    pub version: String,
}

/// Runs the PyTorch peer under `python` for model `name` and reads its JSON line.
pub fn time_torch(python: &Path, name: &str, repeats: usize) -> Result<TorchTiming, BenchError> {
    let out = Command::new(python)
        .args([
            "-c",
            TORCH_BENCH_PY,
            "--model",
            name,
            "--json",
            "--repeats",
            &repeats.max(1).to_string(),
        ])
        .output()
        .map_err(|source| BenchError::Spawn {
            python: python.to_path_buf(),
            source,
        })?;
    if !out.status.success() {
        return Err(BenchError::Script {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    parse_torch_line(&String::from_utf8_lossy(&out.stdout), name)
}

/// Reads the script's JSON line for model `name`.
fn parse_torch_line(stdout: &str, name: &str) -> Result<TorchTiming, BenchError> {
    let v: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["model"] == name)
        .ok_or_else(|| BenchError::Output(format!("no JSON line for `{name}` in {stdout:?}")))?;
    let num = |k: &str| {
        v[k].as_f64()
            .ok_or_else(|| BenchError::Output(format!("`{k}` missing in {v}")))
    };
    Ok(TorchTiming {
        timing: Timing {
            median_s: num("median_s")?,
            min_s: num("min_s")?,
            repeats: num("repeats")? as usize,
        },
        version: v["torch"].as_str().unwrap_or("?").to_string(),
    })
}

/// Our timing of one model and, when a Python was given, PyTorch's from the same run.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The zoo model.
    pub model: String,
    /// Our forward + backward.
    pub ours: Timing,
    /// PyTorch's, when timed.
    pub torch: Option<TorchTiming>,
}

impl Comparison {
    /// Our median over PyTorch's (below 1: we are faster).
    pub fn ratio(&self) -> Option<f64> {
        self.torch
            .as_ref()
            .map(|t| self.ours.median_s / t.timing.median_s)
    }
}

/// Times model `name` here and, with `python`, in PyTorch. With PyTorch, half our repeats run
/// before it and half after, pooled, so both sides see the same machine load.
pub fn compare(
    name: &str,
    repeats: usize,
    python: Option<&Path>,
) -> Result<Comparison, BenchError> {
    let (repeats, warmup) = (repeats.max(1), 3);
    let w = Workload::new(name)?;
    let Some(py) = python else {
        return Ok(Comparison {
            model: name.to_string(),
            ours: Timing::of(samples(&w, repeats, warmup)?),
            torch: None,
        });
    };
    let mut pooled = samples(&w, repeats.div_ceil(2), warmup)?;
    let torch = time_torch(py, name, repeats)?;
    pooled.extend(samples(&w, repeats / 2, 1)?);
    Ok(Comparison {
        model: name.to_string(),
        ours: Timing::of(pooled),
        torch: Some(torch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_models_and_refuses_unknown_ones() {
        assert_eq!(select("all").unwrap().len(), 2);
        assert_eq!(select("mha").unwrap(), vec![("mha", 200)]);
        assert!(matches!(select("vgg"), Err(BenchError::UnknownModel(_))));
    }

    #[test]
    fn reads_the_peer_json_line() {
        let out = "noise\n{\"model\": \"mha\", \"median_s\": 0.002, \"min_s\": 0.001, \
                   \"repeats\": 5, \"torch\": \"2.15.0\"}\n";
        let t = parse_torch_line(out, "mha").unwrap();
        assert_eq!(t.timing.repeats, 5);
        assert_eq!(t.version, "2.15.0");
        assert!(matches!(
            parse_torch_line(out, "resnet"),
            Err(BenchError::Output(_))
        ));
    }

    /// The copy under `tools/reference/` is a link to the embedded script, not a second copy.
    #[test]
    fn the_tools_copy_is_the_embedded_script() {
        let tools = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tools/reference/diagram/torch_bench.py"
        );
        let text = std::fs::read_to_string(tools).expect("tools/reference/diagram/torch_bench.py");
        assert_eq!(text, TORCH_BENCH_PY);
    }

    #[test]
    fn one_timed_step_runs() {
        // no assertion on the time itself: only that the workload runs end to end
        let t = time_ours("mha", 1, 0).unwrap();
        assert_eq!(t.repeats, 1);
        assert!(t.median_s >= 0.0);
    }
}
