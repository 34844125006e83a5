//! Rich and lazy learning from Python: seeded neurogym-0.0.2 tasks as numpy batches, one
//! training run as `richlazy train --json` reports it, and the measures on a user's weights.

use crate::{runtime_error, to_py, value_error};
use nc_richlazy::init::{InitSpec, Renorm};
use nc_richlazy::kernel::{KernelParams, tangent_kernel};
use nc_richlazy::measures;
use nc_richlazy::model::{Activation, Rnn, Tape};
use nc_richlazy::tasks::{LossSteps, NeurogymTask, TaskKind};
use nc_richlazy::train::{TrainConfig, train};
use numpy::ndarray::{Array2, Array3};
use numpy::{
    IntoPyArray, PyArray2, PyArray3, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

fn task_kind(name: &str) -> PyResult<TaskKind> {
    name.parse::<TaskKind>()
        .map_err(|e| value_error(e.to_string()))
}

/// Seeded batches of one neurogym task (2AF, DMS or CXT), with neurogym 0.0.2's timing,
/// noise and labels. Seed `s` draws the trials `richlazy train --seed s` trains on.
#[pyclass(module = "neurocircuits._native")]
pub struct TaskStream {
    task: NeurogymTask,
    rng: rand_chacha::ChaCha8Rng,
    batch: usize,
}

#[pymethods]
impl TaskStream {
    /// `name`: 2AF, DMS or CXT; `batch` trials per draw; `seed` of the stream.
    #[new]
    #[pyo3(signature = (name, batch=32, seed=0))]
    fn new(name: &str, batch: usize, seed: u64) -> PyResult<Self> {
        let kind = task_kind(name)?;
        if batch == 0 {
            return Err(value_error("batch must be at least 1, got 0"));
        }
        Ok(TaskStream {
            task: NeurogymTask::new(kind),
            rng: nc_core::rng::stream(seed, &format!("train-{kind}"), 0),
            batch,
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next batch: `{"x": (steps, batch, n_in), "labels": (steps, batch), "decision_step",
    /// "loss_steps"}` (labels: 0 fixate, 1 and 2 the choices; every step counts in the loss).
    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let b = self.task.sample(&mut self.rng, self.batch);
        let d = PyDict::new(py);
        let x = Array3::from_shape_vec((b.steps, b.batch, b.n_in), b.x)
            .map_err(|e| runtime_error(e.to_string()))?;
        let labels: Vec<i64> = b.labels.iter().map(|&l| i64::from(l)).collect();
        let y = Array2::from_shape_vec((b.steps, b.batch), labels)
            .map_err(|e| runtime_error(e.to_string()))?;
        d.set_item("x", x.into_pyarray(py))?;
        d.set_item("labels", y.into_pyarray(py))?;
        d.set_item("decision_step", b.decision_step)?;
        d.set_item("n_out", b.n_out)?;
        d.set_item(
            "loss_steps",
            match b.loss_steps {
                LossSteps::All => "all",
                LossSteps::Last => "last",
            },
        )?;
        Ok(d)
    }
}

/// One training run, as `neurocircuits richlazy train --json` reports it (the same dict).
/// `init_kind`: `lowrank` (rank `rank`, default N), `gaussian`, `orthogonal`, `aligned`,
/// `dale`, `celltypes`, `smallworld`, `file` (`path`) or `matrix` (`matrix`, N × N).
#[pyfunction]
#[pyo3(signature = (task, seed=0, iters=10_000, init_kind="lowrank", rank=None, matrix=None, path=None, n=300, gain=1.25, lr=0.003, tanh=false, kernel_all=false, spectral=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn richlazy_train<'py>(
    py: Python<'py>,
    task: &str,
    seed: u64,
    iters: usize,
    init_kind: &str,
    rank: Option<usize>,
    matrix: Option<PyReadonlyArray2<'py, f64>>,
    path: Option<PathBuf>,
    n: usize,
    gain: f64,
    lr: f64,
    tanh: bool,
    kernel_all: bool,
    spectral: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let renorm = if spectral {
        Renorm::Spectral
    } else {
        Renorm::Frobenius
    };
    let init = match init_kind {
        "lowrank" => InitSpec::LowRank {
            rank: rank.unwrap_or(n),
            renorm,
        },
        "gaussian" => InitSpec::Gaussian,
        "orthogonal" => InitSpec::Orthogonal,
        "aligned" => InitSpec::Aligned {
            rank: rank.unwrap_or(1),
        },
        "dale" => InitSpec::Dale {
            frac_exc: 0.8,
            balanced: true,
        },
        "celltypes" => InitSpec::CellTypes {
            types: 4,
            balanced: false,
        },
        "smallworld" => InitSpec::SmallWorld { k: 10, p: 0.1 },
        "v1" => InitSpec::V1,
        "file" => InitSpec::File {
            path: path.ok_or_else(|| value_error("init: a file init needs its path"))?,
            tensor: None,
        },
        "matrix" => {
            let m = matrix.ok_or_else(|| value_error("init: a matrix init needs the matrix"))?;
            let shape = m.shape();
            if shape != [n, n] {
                return Err(value_error(format!(
                    "init: expected an {n} x {n} matrix (the hidden size n), got {shape:?}"
                )));
            }
            InitSpec::Matrix {
                n,
                values: m.as_array().iter().copied().collect(),
            }
        }
        other => {
            return Err(value_error(format!(
                "init must be None, a matrix, a path or one of lowrank, gaussian, orthogonal, aligned, dale, celltypes, smallworld, v1; got {other:?}"
            )));
        }
    };
    let cfg = TrainConfig {
        task: task_kind(task)?,
        init,
        n,
        gain,
        iters,
        seed,
        activation: if tanh {
            Activation::Tanh
        } else {
            Activation::Relu
        },
        optimizer: nc_richlazy::optim::OptimizerConfig::Sgd { lr, momentum: 0.9 },
        kernel_params: if kernel_all {
            KernelParams::All
        } else {
            KernelParams::Recurrent
        },
        track_every: (iters / 10).max(1),
        ..TrainConfig::default()
    };
    let mut cb_err: Option<PyErr> = None;
    let step = (iters / 100).max(1);
    let r = py.detach(|| {
        train(&cfg, &mut |done, total| {
            if done.is_multiple_of(step) || done == total {
                crate::report_progress(progress.as_ref(), &mut cb_err, (done, total));
            }
        })
    });
    if let Some(e) = cb_err {
        return Err(e);
    }
    let r = r.map_err(|e| match e {
        nc_richlazy::train::TrainError::Config { .. } | nc_richlazy::train::TrainError::Init(_) => {
            value_error(e.to_string())
        }
        other => runtime_error(other.to_string()),
    })?;
    to_py(py, &r.summary_json())
}

/// The toolkit's rate RNN from a user's weights (row-major, PyTorch's `nn.Linear` layout).
fn rnn(
    w_in: &PyReadonlyArray2<'_, f64>,
    w_h: &PyReadonlyArray2<'_, f64>,
    w_out: &PyReadonlyArray2<'_, f64>,
    activation: &str,
    alpha: f64,
) -> PyResult<Rnn<f64>> {
    let (n, n_in) = (w_in.shape()[0], w_in.shape()[1]);
    if w_h.shape() != [n, n] {
        return Err(value_error(format!(
            "w_h: expected shape ({n}, {n}) to match w_in's {n} units, got {:?}",
            w_h.shape()
        )));
    }
    if w_out.shape()[1] != n {
        return Err(value_error(format!(
            "w_out: expected shape (n_out, {n}), got {:?}",
            w_out.shape()
        )));
    }
    if !(alpha > 0.0 && alpha <= 1.0) {
        return Err(value_error(format!("alpha must be in (0, 1], got {alpha}")));
    }
    let act = match activation {
        "relu" => Activation::Relu,
        "tanh" => Activation::Tanh,
        other => {
            return Err(value_error(format!(
                "activation must be 'relu' or 'tanh', got {other:?}"
            )));
        }
    };
    let flat = |what: &str, a: &PyReadonlyArray2<'_, f64>| -> PyResult<Vec<f64>> {
        let v: Vec<f64> = a.as_array().iter().copied().collect();
        match v.iter().position(|x| !x.is_finite()) {
            Some(i) => Err(value_error(format!(
                "{what}: entry {i} (flat) is not finite"
            ))),
            None => Ok(v),
        }
    };
    Ok(Rnn {
        n_in,
        n,
        n_out: w_out.shape()[0],
        alpha,
        act,
        w_in: flat("w_in", w_in)?,
        w_h: flat("w_h", w_h)?,
        w_out: flat("w_out", w_out)?,
    })
}

/// Inputs `(steps, batch, n_in)` as the model's time-major rows.
fn inputs(x: &PyReadonlyArray3<'_, f64>, n_in: usize) -> PyResult<(Vec<f64>, usize, usize)> {
    let s = x.shape();
    if s[2] != n_in {
        return Err(value_error(format!(
            "x: expected shape (steps, batch, {n_in}) to match w_in, got {s:?}"
        )));
    }
    let v: Vec<f64> = x.as_array().iter().copied().collect();
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(value_error(format!("x: entry {i} (flat) is not finite")));
    }
    Ok((v, s[0], s[1]))
}

/// Hidden states `(steps, batch, n)` and logits `(steps, batch, n_out)` of the rate RNN
/// `h_t = φ((1−α)h_{t−1} + α(W_in x_t + W_h h_{t−1}))`, `y_t = W_out h_t`, `h_0 = 0`.
#[pyfunction]
#[pyo3(signature = (w_in, w_h, w_out, x, activation="relu", alpha=1.0))]
#[allow(clippy::type_complexity)]
fn rnn_forward<'py>(
    py: Python<'py>,
    w_in: PyReadonlyArray2<'py, f64>,
    w_h: PyReadonlyArray2<'py, f64>,
    w_out: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray3<'py, f64>,
    activation: &str,
    alpha: f64,
) -> PyResult<(Bound<'py, PyArray3<f64>>, Bound<'py, PyArray3<f64>>)> {
    let net = rnn(&w_in, &w_h, &w_out, activation, alpha)?;
    let (xv, steps, batch) = inputs(&x, net.n_in)?;
    let mut tape = Tape::default();
    py.detach(|| net.forward(&xv, steps, batch, &mut tape))
        .map_err(|e| value_error(e.to_string()))?;
    let h = Array3::from_shape_vec((steps, batch, net.n), tape.h)
        .map_err(|e| runtime_error(e.to_string()))?;
    let y = Array3::from_shape_vec((steps, batch, net.n_out), tape.y)
        .map_err(|e| runtime_error(e.to_string()))?;
    Ok((h.into_pyarray(py), y.into_pyarray(py)))
}

/// The empirical tangent kernel of the logits at `steps` (default: every step) with respect
/// to `W_h` (`params="recurrent"`) or all three weights (`"all"`): rows ordered (step, trial,
/// logit), `K = J Jᵀ`.
#[pyfunction]
#[pyo3(signature = (w_in, w_h, w_out, x, steps=None, params="recurrent", activation="relu", alpha=1.0))]
#[allow(clippy::too_many_arguments)]
fn rnn_tangent_kernel<'py>(
    py: Python<'py>,
    w_in: PyReadonlyArray2<'py, f64>,
    w_h: PyReadonlyArray2<'py, f64>,
    w_out: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray3<'py, f64>,
    steps: Option<Vec<usize>>,
    params: &str,
    activation: &str,
    alpha: f64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let net = rnn(&w_in, &w_h, &w_out, activation, alpha)?;
    let (xv, t, batch) = inputs(&x, net.n_in)?;
    let kp = match params {
        "recurrent" => KernelParams::Recurrent,
        "all" => KernelParams::All,
        other => {
            return Err(value_error(format!(
                "params must be 'recurrent' or 'all', got {other:?}"
            )));
        }
    };
    let out = steps.unwrap_or_else(|| (0..t).collect());
    let k = py
        .detach(|| tangent_kernel(&net, &xv, t, batch, &out, kp))
        .map_err(|e| value_error(e.to_string()))?;
    Ok(Array2::from_shape_vec((k.rows, k.rows), k.k)
        .map_err(|e| runtime_error(e.to_string()))?
        .into_pyarray(py))
}

/// Effective ranks of a matrix: `{"nuclear": Σσ/σ₁, "entropy": exp(−Σ pᵢ ln pᵢ) with
/// pᵢ = σᵢ/Σσ, "stable": ‖W‖_F²/σ₁², "participation": (Σσ²)²/Σσ⁴}` (all 0 for a zero matrix).
#[pyfunction]
fn effective_rank<'py>(
    py: Python<'py>,
    matrix: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let (r, c) = (matrix.shape()[0], matrix.shape()[1]);
    let v: Vec<f64> = matrix.as_array().iter().copied().collect();
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(value_error(format!(
            "matrix: entry ({}, {}) is not finite",
            i / c.max(1),
            i % c.max(1)
        )));
    }
    let ranks = py
        .detach(|| measures::effective_ranks(&v, r, c))
        .map_err(|e| runtime_error(e.to_string()))?;
    to_py(py, &ranks)
}

/// Representation alignment of two state matrices `(p, n)`: the uncentred cosine between
/// their Gram matrices `H Hᵀ` (the paper's RA; 1 = same representation geometry).
#[pyfunction]
fn gram_alignment(h0: PyReadonlyArray2<'_, f64>, ht: PyReadonlyArray2<'_, f64>) -> PyResult<f64> {
    if h0.shape() != ht.shape() {
        return Err(value_error(format!(
            "states: both must have the same shape (trials, units), got {:?} and {:?}",
            h0.shape(),
            ht.shape()
        )));
    }
    let (p, n) = (h0.shape()[0], h0.shape()[1]);
    let a: Vec<f64> = h0.as_array().iter().copied().collect();
    let b: Vec<f64> = ht.as_array().iter().copied().collect();
    if a.iter().chain(&b).any(|x| !x.is_finite()) {
        return Err(value_error("states: every entry must be finite"));
    }
    Ok(measures::representation_alignment(&a, &b, p, n))
}

/// The Frobenius cosine `⟨A, B⟩ / (‖A‖ ‖B‖)` of two same-shaped matrices (the paper's KA
/// when A and B are tangent kernels); 0 when either is zero.
#[pyfunction]
fn matrix_cosine(a: PyReadonlyArray2<'_, f64>, b: PyReadonlyArray2<'_, f64>) -> PyResult<f64> {
    if a.shape() != b.shape() {
        return Err(value_error(format!(
            "matrices must have the same shape, got {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    let x: Vec<f64> = a.as_array().iter().copied().collect();
    let y: Vec<f64> = b.as_array().iter().copied().collect();
    Ok(measures::cosine(&x, &y))
}

/// Registers the rich/lazy functions and classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TaskStream>()?;
    m.add_function(wrap_pyfunction!(richlazy_train, m)?)?;
    m.add_function(wrap_pyfunction!(rnn_forward, m)?)?;
    m.add_function(wrap_pyfunction!(rnn_tangent_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(effective_rank, m)?)?;
    m.add_function(wrap_pyfunction!(gram_alignment, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_cosine, m)?)?;
    Ok(())
}
