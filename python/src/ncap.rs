//! NCAP from Python: evaluation as `ncap eval` runs it, saved policies (the CLI's
//! `policy.safetensors`, old `policy.json`), batched actions, and the trainers of `nc-ncap`.

use crate::{runtime_error, to_py, value_error};
use nc_ncap::experiments::unit::{Algo, ModelKind, TrainSpec, run_unit};
use nc_ncap::mlp::MlpCache;
use nc_ncap::ncap::Ncap;
use nc_ncap::policy::{EvalPolicy, SavedPolicy, evaluate};
use nc_ncap::train::Progress;
use nc_swimmer::SwimConfig;
use numpy::ndarray::Array2;
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use std::path::PathBuf;

/// A policy error as a `ValueError` (bad policy, file or body) or a simulation error.
fn policy_err(e: nc_ncap::policy::PolicyError) -> PyErr {
    match e {
        nc_ncap::policy::PolicyError::Sim(s) => crate::swimmer::sim_err(s),
        other => value_error(other.to_string()),
    }
}

/// Evaluates `policy` (`"ncap"`, `"random"`, `"zero"` or the path of a saved policy file)
/// over `episodes` episodes from reset seeds `seed, seed+1, …` on an `n_bodies` swimmer.
/// Returns `{"mean", "sd", "returns"}`, the numbers of `neurocircuits ncap eval --json`.
#[pyfunction]
#[pyo3(signature = (policy="ncap", n_bodies=6, episodes=5, seed=0))]
fn ncap_evaluate<'py>(
    py: Python<'py>,
    policy: &str,
    n_bodies: usize,
    episodes: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let p = match policy {
        "ncap" => EvalPolicy::Ncap(
            Ncap::default_for(n_bodies.saturating_sub(1).max(1))
                .map_err(|e| value_error(e.to_string()))?,
        ),
        "random" => EvalPolicy::Random,
        "zero" => EvalPolicy::Zero,
        path => {
            EvalPolicy::Saved(SavedPolicy::load(std::path::Path::new(path)).map_err(policy_err)?)
        }
    };
    run_eval(py, &p, n_bodies, episodes, seed)
}

fn run_eval<'py>(
    py: Python<'py>,
    p: &EvalPolicy,
    n_bodies: usize,
    episodes: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    if episodes > 0 && seed.checked_add(episodes as u64 - 1).is_none() {
        return Err(value_error(format!(
            "seed {seed} + {episodes} episodes passes the largest reset seed (2^64 - 1)"
        )));
    }
    let swim = SwimConfig {
        n_bodies,
        ..SwimConfig::default()
    };
    let r = py
        .detach(|| evaluate(p, swim, episodes, seed))
        .map_err(policy_err)?;
    to_py(py, &r)
}

/// A trained or default policy, as the CLI saves it (`policy.safetensors`): NCAP, or an MLP actor
/// (Gaussian from ES/PPO, deterministic from DDPG) with its observation normaliser.
#[pyclass(module = "neurocircuits._native")]
#[derive(Clone)]
pub struct Policy {
    saved: SavedPolicy,
}

#[pymethods]
impl Policy {
    /// The default NCAP (shared weights, sign constraints, constant init) for `n_bodies`.
    #[staticmethod]
    #[pyo3(signature = (n_bodies=6))]
    fn default_ncap(n_bodies: usize) -> PyResult<Self> {
        if n_bodies < 2 {
            return Err(value_error(format!(
                "n_bodies must be at least 2, got {n_bodies}"
            )));
        }
        let ncap = Ncap::default_for(n_bodies - 1).map_err(|e| value_error(e.to_string()))?;
        Ok(Policy {
            saved: SavedPolicy::Ncap { ncap },
        })
    }

    /// Reads a policy file written by `neurocircuits ncap train` or `Policy.save`.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        Ok(Policy {
            saved: SavedPolicy::load(&path).map_err(policy_err)?,
        })
    }

    /// Writes the policy file (atomically), readable by the CLI (`ncap eval --policy PATH`).
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.saved.save(&path).map_err(policy_err)
    }

    /// `"ncap"`, `"gaussian"` or `"deterministic"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.saved {
            SavedPolicy::Ncap { .. } => "ncap",
            SavedPolicy::Gaussian { .. } => "gaussian",
            SavedPolicy::Deterministic { .. } => "deterministic",
        }
    }

    /// Parameter count.
    #[getter]
    fn n_params(&self) -> usize {
        self.saved.n_params()
    }

    /// NCAP only: the parameter names (the reference `ParameterDict`'s) and their signs
    /// (`"excitatory"` clamped ≥ 0, `"inhibitory"` ≤ 0); empty for an MLP.
    #[getter]
    fn param_names(&self) -> Vec<(String, &'static str)> {
        match &self.saved {
            SavedPolicy::Ncap { ncap } => ncap
                .param_names()
                .iter()
                .map(|(n, s)| {
                    let sign = match s {
                        nc_ncap::ncap::Sign::Excitatory => "excitatory",
                        nc_ncap::ncap::Sign::Inhibitory => "inhibitory",
                        nc_ncap::ncap::Sign::Free => "free",
                    };
                    (n.clone(), sign)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The flat parameters (a copy): NCAP's raw weights, or the MLP's weights and biases
    /// layer by layer (then the log-scales of a Gaussian actor).
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let v = match &self.saved {
            SavedPolicy::Ncap { ncap } => ncap.params().to_vec(),
            SavedPolicy::Gaussian { actor, .. } => actor.params(),
            SavedPolicy::Deterministic { actor, .. } => actor.mlp.params().to_vec(),
        };
        v.into_pyarray(py)
    }

    /// Replaces the flat parameters (same length, finite).
    #[setter]
    fn set_params(&mut self, values: PyReadonlyArray1<'_, f64>) -> PyResult<()> {
        let v: Vec<f64> = values.as_array().iter().copied().collect();
        let n = self.saved.n_params();
        if v.len() != n {
            return Err(value_error(format!(
                "params: expected {n} values, got {}",
                v.len()
            )));
        }
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(value_error(format!(
                "params[{i}] must be finite, got {}",
                v[i]
            )));
        }
        match &mut self.saved {
            SavedPolicy::Ncap { ncap } => ncap.params_mut().copy_from_slice(&v),
            SavedPolicy::Gaussian { actor, .. } => actor.set_params(&v),
            SavedPolicy::Deterministic { actor, .. } => actor.mlp.params_mut().copy_from_slice(&v),
        }
        Ok(())
    }

    /// Actions for a batch of observations `(batch, obs_dim)` of swimmers at episode steps
    /// `steps` (`(batch,)`; NCAP's oscillator needs them, an MLP ignores them). Returns
    /// `(batch, n_joints)`: NCAP's torques, or the MLP actor's mean action, as `ncap eval` acts.
    fn act<'py>(
        &self,
        py: Python<'py>,
        obs: PyReadonlyArray2<'py, f64>,
        steps: PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (b, w) = (obs.shape()[0], obs.shape()[1]);
        let x: Vec<f64> = obs.as_array().iter().copied().collect();
        let t: Vec<u64> = steps.as_array().iter().copied().collect();
        if t.len() != b {
            return Err(value_error(format!(
                "steps: expected {b} values (one per observation row), got {}",
                t.len()
            )));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(value_error(format!(
                "obs[{}, {}] must be finite, got {}",
                i / w.max(1),
                i % w.max(1),
                x[i]
            )));
        }
        let saved = &self.saved;
        let (out, nj) = py.detach(|| act_batch(saved, &x, &t, b, w))?;
        Ok(Array2::from_shape_vec((b, nj), out)
            .map_err(|e| runtime_error(e.to_string()))?
            .into_pyarray(py))
    }

    /// The policy as the JSON text of its file.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.saved).map_err(|e| runtime_error(e.to_string()))
    }

    /// Evaluates this policy as `ncap eval` does (see `ncap_evaluate`).
    #[pyo3(signature = (n_bodies=6, episodes=5, seed=0))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        n_bodies: usize,
        episodes: usize,
        seed: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        run_eval(
            py,
            &EvalPolicy::Saved(self.saved.clone()),
            n_bodies,
            episodes,
            seed,
        )
    }
}

/// Joints of a swimmer whose observation has `width` entries (`4B - 1`, or `4B` with the
/// time feature).
fn joints_of(width: usize) -> PyResult<usize> {
    let bodies = if (width + 1).is_multiple_of(4) {
        (width + 1) / 4
    } else if width.is_multiple_of(4) {
        width / 4
    } else {
        0
    };
    if bodies < 2 {
        return Err(value_error(format!(
            "obs: {width} entries per row is no swimmer observation (4·n_bodies − 1, or 4·n_bodies with the time feature)"
        )));
    }
    Ok(bodies - 1)
}

fn act_batch(
    saved: &SavedPolicy,
    x: &[f64],
    t: &[u64],
    b: usize,
    w: usize,
) -> PyResult<(Vec<f64>, usize)> {
    let mlp_forward = |mlp: &nc_ncap::mlp::Mlp,
                       norm: &Option<nc_ncap::normalizer::MeanStd>|
     -> PyResult<(Vec<f64>, usize)> {
        if w != mlp.n_in() {
            return Err(value_error(format!(
                "obs: this policy takes {} entries per row, got {w}",
                mlp.n_in()
            )));
        }
        let mut input = x.to_vec();
        if let Some(n) = norm {
            n.normalize(x, &mut input);
        }
        let mut cache = MlpCache::default();
        mlp.forward(&input, b, &mut cache)
            .map_err(|e| value_error(e.to_string()))?;
        Ok((cache.output().to_vec(), mlp.n_out()))
    };
    match saved {
        SavedPolicy::Ncap { ncap } => {
            let nj = joints_of(w)?;
            let ncap = ncap
                .with_joints(nj)
                .map_err(|e| value_error(e.to_string()))?;
            let mut out = vec![0.0; b * nj];
            for ((row, o), &k) in x.chunks(w).zip(out.chunks_mut(nj)).zip(t) {
                ncap.act(&row[..nj], k as usize, o);
            }
            Ok((out, nj))
        }
        SavedPolicy::Gaussian {
            actor, normalizer, ..
        } => mlp_forward(&actor.mlp, normalizer),
        SavedPolicy::Deterministic {
            actor, normalizer, ..
        } => mlp_forward(&actor.mlp, normalizer),
    }
}

/// Trains one policy with the toolkit's trainer (as a unit of `ncap curves` runs it) into
/// `out` (`log.csv`, `policy.safetensors`, `summary.json`, `spec.json`, checkpoints; a finished run
/// of the same spec is not rerun). `progress(steps, max_steps, test_mean)` is called as
/// training goes. Returns the run summary as a dict.
#[pyfunction]
#[pyo3(signature = (algo, model, steps, seed, out, n_bodies=6, ablation="111", progress=None))]
#[allow(clippy::too_many_arguments)]
fn ncap_train<'py>(
    py: Python<'py>,
    algo: &str,
    model: &str,
    steps: u64,
    seed: u64,
    out: PathBuf,
    n_bodies: usize,
    ablation: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let algo = match algo {
        "es" => Algo::Es,
        "ppo" => Algo::Ppo,
        "ddpg" => Algo::Ddpg,
        other => {
            return Err(value_error(format!(
                "algo must be 'es', 'ppo' or 'ddpg', got {other:?}"
            )));
        }
    };
    let model = match model {
        "ncap" => ModelKind::Ncap,
        "mlp" => ModelKind::Mlp,
        other => {
            return Err(value_error(format!(
                "model must be 'ncap' or 'mlp', got {other:?}"
            )));
        }
    };
    if steps == 0 {
        return Err(value_error("steps must be at least 1, got 0"));
    }
    // the CLI's `ncap train` defaults (the estorch script's ES settings, the reference's
    // network sizes), with the body and ablation asked for
    let mut spec = TrainSpec::new(algo, model, seed, steps);
    spec.ablation = ablation.to_string();
    spec.n_bodies = n_bodies;
    let mut last_err: Option<PyErr> = None;
    let summary = py.detach(|| {
        let mut report = |p: &Progress| {
            let args = (p.steps, p.max_steps, p.test_mean);
            crate::report_progress(progress.as_ref(), &mut last_err, args);
        };
        run_unit(&spec, &out, &mut report)
    });
    if let Some(e) = last_err {
        return Err(e);
    }
    let summary = summary.map_err(|e| {
        use nc_ncap::train::TrainError as E;
        match e {
            E::Policy(p) => policy_err(p),
            e @ (E::Io { .. }
            | E::Checkpoint { .. }
            | E::NonFinite { .. }
            | E::Plot(_)
            | E::Sweep(_)) => runtime_error(e.to_string()),
            // settings, budget, another run's folder: the caller's input
            other => value_error(other.to_string()),
        }
    })?;
    to_py(py, &summary)
}

/// Registers the NCAP functions and classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Policy>()?;
    m.add_function(wrap_pyfunction!(ncap_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(ncap_train, m)?)?;
    Ok(())
}
