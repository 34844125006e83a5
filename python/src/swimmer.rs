//! The swimmer for Gymnasium: one environment, and a batch stepped on a thread pool with
//! Gymnasium's autoreset modes handled natively.
//!
//! Episodes are seeded as `ncap eval` seeds them: `reset(seed=s)` starts episode 0 from reset
//! seed `s`; every later reset without a seed starts episode `k` from [`episode_seed`]`(s, k)`,
//! so a run is fixed by its first seed, and a single environment and row `i` of a batch reset
//! with `s + i` give the same trajectory.

use crate::{SimulationError, value_error};
use nc_swimmer::{SimError, SwimConfig, SwimEnv};
use numpy::ndarray::{Array2, Array3};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use rand::RngExt;
use rayon::prelude::*;

/// Reset seed of episode `k` after `reset(seed=base)`: `base` itself for episode 0, then
/// seeds drawn from the stream `(base, "gym-autoreset", k)`.
#[pyfunction]
pub fn episode_seed(base: u64, k: u64) -> u64 {
    if k == 0 {
        base
    } else {
        nc_core::rng::stream(base, "gym-autoreset", k).random::<u64>()
    }
}

/// Builds and checks the configuration; errors name the keyword.
#[allow(clippy::too_many_arguments)]
fn config(
    n_bodies: usize,
    density: f64,
    viscosity: f64,
    time_limit: usize,
    time_feature: bool,
    timestep: f64,
    substeps: usize,
) -> PyResult<SwimConfig> {
    if time_limit == 0 {
        return Err(value_error(
            "time_limit must be at least 1 control step, got 0",
        ));
    }
    let cfg = SwimConfig {
        n_bodies,
        density,
        viscosity,
        timestep,
        substeps,
        episode_len: time_limit,
        time_feature,
    };
    cfg.validate().map_err(|e| value_error(e.to_string()))?;
    Ok(cfg)
}

/// A simulation error as a Python exception: bad input is a `ValueError`, divergence a
/// `SimulationError`.
pub(crate) fn sim_err(e: SimError) -> PyErr {
    match e {
        SimError::Diverged { .. } => SimulationError::new_err(format!(
            "{e}; lower `timestep` or raise `substeps`, or check the state passed to set_state"
        )),
        other => value_error(other.to_string()),
    }
}

/// A contiguous copy of a 1-D float array.
fn vec1(a: &PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    match a.as_slice() {
        Ok(s) => s.to_vec(),
        Err(_) => a.as_array().iter().copied().collect(),
    }
}

/// An RGB frame `(height, width, 3)` of the environment.
fn rgb<'py>(
    py: Python<'py>,
    env: &SwimEnv,
    width: u32,
    height: u32,
) -> PyResult<Bound<'py, PyArray3<u8>>> {
    let buf = py
        .detach(|| nc_swimmer::render::frame_rgb(env, (width, height)))
        .map_err(|e| value_error(format!("render: {e}")))?;
    let a = Array3::from_shape_vec((height as usize, width as usize, 3), buf)
        .map_err(|e| value_error(format!("render: {e}")))?;
    Ok(a.into_pyarray(py))
}

/// One swimmer environment (dm_control's swimmer with MuJoCo 3.17's dynamics, the NCAP swim
/// task). `step` applies one control step: `substeps` physics steps with the action held.
#[pyclass(module = "neurocircuits._native")]
pub struct Swimmer {
    env: SwimEnv,
    base: Option<u64>,
    episode: u64,
}

#[pymethods]
impl Swimmer {
    /// Builds the environment; every option is checked (`ValueError` names the keyword).
    #[new]
    #[pyo3(signature = (n_bodies=6, density=3000.0, viscosity=0.0, time_limit=1000, time_feature=false, timestep=0.002, substeps=15))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        n_bodies: usize,
        density: f64,
        viscosity: f64,
        time_limit: usize,
        time_feature: bool,
        timestep: f64,
        substeps: usize,
    ) -> PyResult<Self> {
        let cfg = config(
            n_bodies,
            density,
            viscosity,
            time_limit,
            time_feature,
            timestep,
            substeps,
        )?;
        let env = SwimEnv::new(cfg).map_err(|e| value_error(e.to_string()))?;
        Ok(Swimmer {
            env,
            base: None,
            episode: 0,
        })
    }

    /// Starts an episode: with `seed`, episode 0 of that seed; without, the next episode of the
    /// last seed. Returns the observation.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        seed: Option<u64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        match (seed, self.base) {
            (Some(s), _) => {
                self.base = Some(s);
                self.episode = 0;
            }
            (None, Some(_)) => self.episode += 1,
            (None, None) => {
                return Err(value_error(
                    "reset: the first reset needs a seed (the Gymnasium wrapper draws one)",
                ));
            }
        }
        let s = episode_seed(self.base.unwrap_or(0), self.episode);
        self.env.reset(s);
        Ok(self.observation(py))
    }

    /// One control step with `action` (length `n_joints`, clipped to [-1, 1]). Returns
    /// `(observation, reward, terminated, truncated)`; `truncated` is true at the time limit.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        action: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, f64, bool, bool)> {
        let a = vec1(&action);
        let env = &mut self.env;
        let out = py.detach(|| env.step(&a)).map_err(sim_err)?;
        Ok((self.observation(py), out.reward, false, out.done))
    }

    /// The current observation (a new array).
    fn observation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let mut o = vec![0.0; self.env.obs_dim()];
        self.env.observe(&mut o);
        o.into_pyarray(py)
    }

    /// Sets positions and velocities (MuJoCo's layout, length `n_bodies + 2` each) and
    /// recomputes the derived quantities; the episode's step counter is kept.
    fn set_state(
        &mut self,
        qpos: PyReadonlyArray1<'_, f64>,
        qvel: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        self.env
            .set_state(&vec1(&qpos), &vec1(&qvel))
            .map_err(|e| match e {
                SimError::Diverged { field, .. } => {
                    value_error(format!("set_state: {field} must be finite"))
                }
                other => value_error(format!("set_state: {other}")),
            })
    }

    /// Positions `(x, y, heading, joint angles)` (a copy).
    #[getter]
    fn qpos<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.env.qpos().to_vec().into_pyarray(py)
    }

    /// Velocities, same layout as `qpos` (a copy).
    #[getter]
    fn qvel<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.env.qvel().to_vec().into_pyarray(py)
    }

    /// Control steps since the last reset.
    #[getter]
    fn episode_step(&self) -> usize {
        self.env.episode_step()
    }

    /// Simulation time in seconds since the last reset.
    #[getter]
    fn time(&self) -> f64 {
        self.env.data().time
    }

    /// The reset seed of the current episode (None before the first reset).
    #[getter]
    fn reset_seed(&self) -> Option<u64> {
        self.base.map(|b| episode_seed(b, self.episode))
    }

    /// Observation length.
    #[getter]
    fn obs_dim(&self) -> usize {
        self.env.obs_dim()
    }

    /// Action length (joints).
    #[getter]
    fn n_joints(&self) -> usize {
        self.env.n_joints()
    }

    /// Draws the current state: an RGB array `(height, width, 3)`, camera on the body.
    #[pyo3(signature = (width=480, height=360))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        width: u32,
        height: u32,
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        rgb(py, &self.env, width, height)
    }
}

/// Gymnasium's autoreset modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Autoreset {
    /// An environment that ended is reset by the next `step`, which ignores its action.
    NextStep,
    /// An environment that ends is reset in the same `step`; its last observation is returned
    /// apart.
    SameStep,
    /// No automatic reset: the caller resets ended environments with a mask.
    Disabled,
}

/// One environment of a batch and its episode bookkeeping.
#[derive(Clone, Debug)]
struct Slot {
    env: SwimEnv,
    base: u64,
    episode: u64,
    /// The episode ended on the last step.
    ended: bool,
}

/// What one environment's step produced (besides its observation rows).
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    reward: f64,
    truncated: bool,
    /// SAME_STEP: the episode ended here and `final_obs` holds its last observation.
    final_obs: bool,
}

impl Slot {
    fn reset(&mut self, episode: u64) {
        self.episode = episode;
        self.ended = false;
        self.env.reset(episode_seed(self.base, episode));
    }

    fn step(
        &mut self,
        mode: Autoreset,
        action: &[f64],
        obs: &mut [f64],
        final_obs: &mut [f64],
        index: usize,
    ) -> Result<Outcome, BatchError> {
        let mut out = Outcome::default();
        if self.ended && mode == Autoreset::NextStep {
            self.reset(self.episode + 1);
        } else if self.ended && mode == Autoreset::Disabled {
            return Err(BatchError::NotReset(index));
        } else {
            let r = self
                .env
                .step(action)
                .map_err(|e| BatchError::Sim(index, e))?;
            out.reward = r.reward;
            out.truncated = r.done;
            self.ended = r.done;
            if r.done && mode == Autoreset::SameStep {
                self.env.observe(final_obs);
                out.final_obs = true;
                self.reset(self.episode + 1);
            }
        }
        self.env.observe(obs);
        Ok(out)
    }
}

/// One environment's share of a batch step: its slot, action row and output rows.
struct Job<'a> {
    index: usize,
    slot: &'a mut Slot,
    action: &'a [f64],
    obs: &'a mut [f64],
    fin: &'a mut [f64],
}

impl Job<'_> {
    fn run(self, mode: Autoreset) -> Result<Outcome, BatchError> {
        self.slot
            .step(mode, self.action, self.obs, self.fin, self.index)
    }
}

/// Why a batch step failed.
enum BatchError {
    Sim(usize, SimError),
    NotReset(usize),
}

impl BatchError {
    fn into_py(self) -> PyErr {
        match self {
            BatchError::Sim(i, e) => {
                let inner = sim_err(e);
                Python::attach(|py| {
                    let msg = format!("environment {i}: {}", inner.value(py));
                    if inner.is_instance_of::<SimulationError>(py) {
                        SimulationError::new_err(msg)
                    } else {
                        value_error(msg)
                    }
                })
            }
            BatchError::NotReset(i) => value_error(format!(
                "environment {i} ended and autoreset_mode is DISABLED: reset it with options={{\"reset_mask\": mask}} before stepping"
            )),
        }
    }
}

/// Arrays returned by [`SwimmerBatch::step`]: observations, rewards, terminated, truncated,
/// final observations (SAME_STEP only) and their mask.
type StepArrays<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Option<Bound<'py, PyArray2<f64>>>,
    Bound<'py, PyArray1<bool>>,
);

/// `num_envs` swimmers stepped together in one call, on a pool of `num_threads` threads, with
/// Gymnasium's autoreset handled natively. Batches are numpy arrays, one row per environment.
#[pyclass(module = "neurocircuits._native")]
pub struct SwimmerBatch {
    slots: Vec<Slot>,
    pool: Option<rayon::ThreadPool>,
    mode: Autoreset,
    obs_dim: usize,
    n_joints: usize,
    threads: usize,
}

#[pymethods]
impl SwimmerBatch {
    /// Builds the batch. `autoreset_mode` is `"next_step"`, `"same_step"` or `"disabled"`;
    /// `num_threads` defaults to the smaller of `num_envs` and the machine's cores.
    #[new]
    #[pyo3(signature = (num_envs, num_threads=None, autoreset_mode="next_step", n_bodies=6, density=3000.0, viscosity=0.0, time_limit=1000, time_feature=false, timestep=0.002, substeps=15))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        num_envs: usize,
        num_threads: Option<usize>,
        autoreset_mode: &str,
        n_bodies: usize,
        density: f64,
        viscosity: f64,
        time_limit: usize,
        time_feature: bool,
        timestep: f64,
        substeps: usize,
    ) -> PyResult<Self> {
        if num_envs == 0 {
            return Err(value_error("num_envs must be at least 1, got 0"));
        }
        let mode = match autoreset_mode
            .to_ascii_lowercase()
            .replace('_', "")
            .as_str()
        {
            "nextstep" => Autoreset::NextStep,
            "samestep" => Autoreset::SameStep,
            "disabled" => Autoreset::Disabled,
            other => {
                return Err(value_error(format!(
                    "autoreset_mode must be NEXT_STEP, SAME_STEP or DISABLED, got {other:?}"
                )));
            }
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = match num_threads {
            Some(0) => return Err(value_error("num_threads must be at least 1, got 0")),
            Some(t) => t,
            None => num_envs.min(cores),
        };
        let pool = if threads > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|e| crate::runtime_error(format!("thread pool: {e}")))?,
            )
        } else {
            None
        };
        let cfg = config(
            n_bodies,
            density,
            viscosity,
            time_limit,
            time_feature,
            timestep,
            substeps,
        )?;
        let env = SwimEnv::new(cfg).map_err(|e| value_error(e.to_string()))?;
        let (obs_dim, n_joints) = (env.obs_dim(), env.n_joints());
        let slot = Slot {
            env,
            base: 0,
            episode: 0,
            ended: false,
        };
        Ok(SwimmerBatch {
            slots: vec![slot; num_envs],
            pool,
            mode,
            obs_dim,
            n_joints,
            threads,
        })
    }

    /// Resets environment `i` to episode 0 of `seeds[i]`, for every `i` (or only where
    /// `mask[i]` is true). Returns all observations, `(num_envs, obs_dim)`.
    #[pyo3(signature = (seeds, mask=None))]
    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        seeds: Vec<u64>,
        mask: Option<Vec<bool>>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let n = self.slots.len();
        if seeds.len() != n {
            return Err(value_error(format!(
                "reset: expected {n} seeds, got {}",
                seeds.len()
            )));
        }
        let mask = mask.unwrap_or_else(|| vec![true; n]);
        if mask.len() != n {
            return Err(value_error(format!(
                "reset_mask: expected {n} booleans, got {}",
                mask.len()
            )));
        }
        for ((slot, &s), &m) in self.slots.iter_mut().zip(&seeds).zip(&mask) {
            if m {
                slot.base = s;
                slot.reset(0);
            }
        }
        Ok(self.observations(py))
    }

    /// Steps every environment with its row of `actions` (`(num_envs, n_joints)`). Returns
    /// `(obs, rewards, terminated, truncated, final_obs, final_mask)`; `final_obs` is not None
    /// only in SAME_STEP mode, holding the last observation of the rows in `final_mask`.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<StepArrays<'py>> {
        let (n, nu, od) = (self.slots.len(), self.n_joints, self.obs_dim);
        let shape = actions.shape();
        if shape != [n, nu] {
            return Err(value_error(format!(
                "actions: expected shape ({n}, {nu}), got {shape:?}"
            )));
        }
        let a: Vec<f64> = match actions.as_slice() {
            Ok(s) => s.to_vec(),
            Err(_) => actions.as_array().iter().copied().collect(),
        };
        if let Some(k) = a.iter().position(|v| !v.is_finite()) {
            return Err(value_error(format!(
                "actions[{}, {}] must be finite, got {}",
                k / nu,
                k % nu,
                a[k]
            )));
        }
        let mode = self.mode;
        let mut obs = vec![0.0; n * od];
        let mut fin = vec![
            0.0;
            if mode == Autoreset::SameStep {
                n * od
            } else {
                0
            }
        ];
        let (slots, pool) = (&mut self.slots, &self.pool);
        let outs = py
            .detach(|| {
                let mut fin_rows: Vec<&mut [f64]> = fin.chunks_mut(od).collect();
                fin_rows.resize_with(n, Default::default);
                let jobs: Vec<Job<'_>> = slots
                    .iter_mut()
                    .zip(a.chunks(nu.max(1)))
                    .zip(obs.chunks_mut(od))
                    .zip(fin_rows)
                    .enumerate()
                    .map(|(index, (((slot, action), obs), fin))| Job {
                        index,
                        slot,
                        action,
                        obs,
                        fin,
                    })
                    .collect();
                match pool {
                    Some(p) => p.install(|| {
                        jobs.into_par_iter()
                            .map(|j| j.run(mode))
                            .collect::<Result<Vec<Outcome>, BatchError>>()
                    }),
                    None => jobs.into_iter().map(|j| j.run(mode)).collect(),
                }
            })
            .map_err(BatchError::into_py)?;
        let rewards: Vec<f64> = outs.iter().map(|o| o.reward).collect();
        let truncated: Vec<bool> = outs.iter().map(|o| o.truncated).collect();
        let mask: Vec<bool> = outs.iter().map(|o| o.final_obs).collect();
        let final_obs = if mode == Autoreset::SameStep {
            Some(matrix(py, fin, n, od)?)
        } else {
            None
        };
        Ok((
            matrix(py, obs, n, od)?,
            rewards.into_pyarray(py),
            vec![false; n].into_pyarray(py),
            truncated.into_pyarray(py),
            final_obs,
            mask.into_pyarray(py),
        ))
    }

    /// Resets environment `index` to the next episode of its seed sequence.
    fn next_episode(&mut self, index: usize) -> PyResult<()> {
        let n = self.slots.len();
        let slot = self
            .slots
            .get_mut(index)
            .ok_or_else(|| value_error(format!("index must be below {n}, got {index}")))?;
        slot.reset(slot.episode + 1);
        Ok(())
    }

    /// All observations, `(num_envs, obs_dim)`.
    fn observations<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let od = self.obs_dim;
        let mut obs = vec![0.0; self.slots.len() * od];
        for (s, o) in self.slots.iter().zip(obs.chunks_mut(od)) {
            s.env.observe(o);
        }
        Array2::from_shape_vec((self.slots.len(), od), obs)
            .expect("rows × obs_dim values")
            .into_pyarray(py)
    }

    /// Positions of every environment, `(num_envs, n_bodies + 2)` (a copy).
    #[getter]
    fn qpos<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let nq = self.slots[0].env.qpos().len();
        let v: Vec<f64> = self
            .slots
            .iter()
            .flat_map(|s| s.env.qpos().to_vec())
            .collect();
        matrix(py, v, self.slots.len(), nq)
    }

    /// Velocities of every environment, `(num_envs, n_bodies + 2)` (a copy).
    #[getter]
    fn qvel<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let nq = self.slots[0].env.qvel().len();
        let v: Vec<f64> = self
            .slots
            .iter()
            .flat_map(|s| s.env.qvel().to_vec())
            .collect();
        matrix(py, v, self.slots.len(), nq)
    }

    /// Sets the state of environment `index` (see `Swimmer.set_state`).
    fn set_state(
        &mut self,
        index: usize,
        qpos: PyReadonlyArray1<'_, f64>,
        qvel: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let n = self.slots.len();
        let slot = self
            .slots
            .get_mut(index)
            .ok_or_else(|| value_error(format!("index must be below {n}, got {index}")))?;
        slot.env
            .set_state(&vec1(&qpos), &vec1(&qvel))
            .map_err(|e| value_error(format!("set_state: {e}")))
    }

    /// Control steps since each environment's last reset.
    #[getter]
    fn episode_steps(&self) -> Vec<usize> {
        self.slots.iter().map(|s| s.env.episode_step()).collect()
    }

    /// Number of environments.
    #[getter]
    fn num_envs(&self) -> usize {
        self.slots.len()
    }

    /// Threads of the pool that steps the batch.
    #[getter]
    fn num_threads(&self) -> usize {
        self.threads
    }

    /// Observation length of one environment.
    #[getter]
    fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Action length of one environment.
    #[getter]
    fn n_joints(&self) -> usize {
        self.n_joints
    }

    /// Draws environment `index`: an RGB array `(height, width, 3)`.
    #[pyo3(signature = (index=0, width=480, height=360))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        width: u32,
        height: u32,
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let n = self.slots.len();
        let slot = self
            .slots
            .get(index)
            .ok_or_else(|| value_error(format!("index must be below {n}, got {index}")))?;
        rgb(py, &slot.env, width, height)
    }
}

/// A row-major `rows × cols` matrix handed to numpy without a copy.
fn matrix(
    py: Python<'_>,
    v: Vec<f64>,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'_, PyArray2<f64>>> {
    Ok(Array2::from_shape_vec((rows, cols), v)
        .map_err(|e| crate::runtime_error(e.to_string()))?
        .into_pyarray(py))
}

/// Registers the swimmer classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Swimmer>()?;
    m.add_class::<SwimmerBatch>()?;
    m.add_function(wrap_pyfunction!(episode_seed, m)?)?;
    Ok(())
}
