//! The NCAP controller: a C. elegans motor circuit as a policy, exactly as the reference
//! `SwimmerModule` computes it.
//!
//! Per joint `i` there is a dorsal/ventral pair of B-neurons and a dorsal/ventral pair of
//! muscles. B-neurons of joint 0 are driven by a square-wave head oscillator; those of joint
//! `i ≥ 1` by the anterior joint's normalised angle. Muscles get ipsilateral excitation and
//! contralateral inhibition, and the torque is `dorsal − ventral`. Signs are imposed by clamping
//! in the forward pass (`excitatory(w) = max(w, 0)`), and gradients follow PyTorch's clamp rule,
//! with the subgradient at the bound selectable ([`BoundaryGrad`]: the authors' torch passed 1,
//! torch 2.15 passes 0).

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How the weights are initialised (the paper's "magnitude" ablation bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// Excitatory +1, inhibitory −1; without sign constraints a random sign of magnitude 1.
    Constant,
    /// Excitatory U(0,1), inhibitory U(−1,0); without sign constraints U(−1,1).
    Uniform,
}

/// Which subgradient a clamp passes at exactly its bound.
///
/// PyTorch returned 1 there from 2018 (PR #7049) until 2026, which includes the authors'
/// torch 1.7.1; torch 2.15 returns the minimum-norm subgradient 0 (PR #191142). At the
/// default init the B-neuron and muscle pre-activations sit exactly at 1, so this matters
/// for gradient-based training of NCAP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BoundaryGrad {
    /// Gradient 1 at the bound (torch 0.4–2.x before the change, the reference runs).
    #[default]
    Inclusive,
    /// Gradient 0 at the bound (torch 2.15).
    Exclusive,
}

/// Architecture switches: every ablation of the paper plus the component flags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NcapConfig {
    /// Share the 4 weights across joints and sides (else 6N parameters).
    pub sharing: bool,
    /// Clamp excitatory weights to ≥ 0 and inhibitory ones to ≤ 0 in the forward pass.
    pub signs: bool,
    /// Initialisation.
    pub init: Init,
    /// B-neurons of joints ≥ 1 read the anterior joint's angle.
    pub proprioception: bool,
    /// B-neurons of joint 0 read the head oscillator.
    pub oscillator: bool,
    /// Oscillator period in control steps.
    pub oscillator_period: usize,
    /// Clamp subgradient at the bounds.
    #[serde(default)]
    pub boundary_grad: BoundaryGrad,
    /// Muscles receive contralateral inhibition (`muscle_contra`); off removes the weight
    /// (the cross-inhibition ablation). Files written before this switch read as on.
    #[serde(default = "on")]
    pub cross_inhibition: bool,
    /// Descending speed and turn inputs for the target task ([`Steering`]); none in "swim".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steering: Option<Steering>,
}

fn on() -> bool {
    true
}

/// Component ablations a code may add after its three digits, with what they switch off.
pub const COMPONENTS: [(&str, &str); 3] = [
    ("noosc", "head oscillator"),
    ("noprop", "proprioception"),
    ("nocross", "muscle cross-inhibition"),
];

impl Default for NcapConfig {
    fn default() -> Self {
        Self {
            sharing: true,
            signs: true,
            init: Init::Constant,
            proprioception: true,
            oscillator: true,
            oscillator_period: 60,
            boundary_grad: BoundaryGrad::Inclusive,
            cross_inhibition: true,
            steering: None,
        }
    }
}

impl NcapConfig {
    /// The ES script's 3-bit ablation code `[sharing, signs, constant init]`, e.g. "111",
    /// followed by `-noosc`, `-noprop`, `-nocross` for each component switched off, and
    /// `-steer` or `-steerlearn` for the target task's descending inputs ([`Steering`]).
    pub fn code(&self) -> String {
        let b = |x: bool| if x { '1' } else { '0' };
        let mut s: String = [
            b(self.sharing),
            b(self.signs),
            b(self.init == Init::Constant),
        ]
        .iter()
        .collect();
        for (off, (name, _)) in [
            !self.oscillator,
            !self.proprioception,
            !self.cross_inhibition,
        ]
        .into_iter()
        .zip(COMPONENTS)
        {
            if off {
                s.push('-');
                s.push_str(name);
            }
        }
        if let Some(st) = self.steering {
            s.push_str(if st.learned { "-steerlearn" } else { "-steer" });
        }
        s
    }

    /// Parses an ablation code: three digits `[sharing, signs, constant init]`, then
    /// optionally `-noosc`, `-noprop`, `-nocross` (components off) and `-steer` or
    /// `-steerlearn` (steering); the rest at defaults.
    pub fn from_code(code: &str) -> Result<Self, NcapError> {
        let bad = || NcapError::BadCode {
            code: code.to_string(),
        };
        let mut parts = code.split('-');
        let digits = parts.next().unwrap_or("");
        let mut cfg = Self::from_digits(digits).map_err(|_| bad())?;
        for p in parts {
            match p {
                "noosc" if cfg.oscillator => cfg.oscillator = false,
                "noprop" if cfg.proprioception => cfg.proprioception = false,
                "nocross" if cfg.cross_inhibition => cfg.cross_inhibition = false,
                "steer" | "steerlearn" if cfg.steering.is_none() => {
                    cfg.steering = Some(Steering {
                        learned: p == "steerlearn",
                        ..Steering::default()
                    });
                }
                _ => return Err(bad()),
            }
        }
        Ok(cfg)
    }

    fn from_digits(code: &str) -> Result<Self, NcapError> {
        let bits: Vec<bool> = code
            .chars()
            .map(|c| match c {
                '0' => Ok(false),
                '1' => Ok(true),
                _ => Err(NcapError::BadCode {
                    code: code.to_string(),
                }),
            })
            .collect::<Result<_, _>>()?;
        if bits.len() != 3 {
            return Err(NcapError::BadCode {
                code: code.to_string(),
            });
        }
        Ok(Self {
            sharing: bits[0],
            signs: bits[1],
            init: if bits[2] {
                Init::Constant
            } else {
                Init::Uniform
            },
            ..Self::default()
        })
    }
}

/// Why an NCAP controller could not be built or applied.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum NcapError {
    /// A body needs at least one joint.
    #[error("ncap needs at least one joint, got 0")]
    NoJoints,
    /// An oscillator period below 2 has no dorsal and ventral half.
    #[error("oscillator period must be at least 2, got {period}")]
    BadPeriod {
        /// The period given.
        period: usize,
    },
    /// The parameter vector has the wrong length.
    #[error("ncap expects {expected} parameters, got {got}")]
    ParamCount {
        /// Parameters the layout needs.
        expected: usize,
        /// Parameters given.
        got: usize,
    },
    /// Unshared weights are per joint, so they cannot move to another body length.
    #[error("unshared ncap weights are tied to {n_joints} joints and cannot move to {requested}")]
    UnsharedTransfer {
        /// Joints the weights were made for.
        n_joints: usize,
        /// Joints asked for.
        requested: usize,
    },
    /// More joints than any body this controller can drive.
    #[error("ncap supports at most {max} joints, got {got}")]
    TooManyJoints {
        /// Joints asked for.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// Steering needs at least one joint for its turn input.
    #[error("steering's turn input must reach at least 1 joint, got 0")]
    NoTurnJoints,
    /// A loaded weight is NaN or infinite.
    #[error("ncap parameter {index} is not finite")]
    NonFinite {
        /// Its index.
        index: usize,
    },
    /// An ablation code that is not three binary digits (plus component suffixes).
    #[error(
        "ablation code {code:?} is not three binary digits like \"111\", optionally followed by -noosc, -noprop and -nocross (each once) and -steer or -steerlearn"
    )]
    BadCode {
        /// The code given.
        code: String,
    },
}

/// The sign a weight carries in the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sign {
    /// Clamped to ≥ 0 when sign constraints are on.
    Excitatory,
    /// Clamped to ≤ 0 when sign constraints are on.
    Inhibitory,
    /// Never clamped (the learned steering controller's linear map).
    Free,
}

// parameter index of each synapse of one joint
#[derive(Clone, Copy, Debug, Default)]
struct JointSlots {
    prop_d: Option<usize>,
    prop_v: Option<usize>,
    osc_d: Option<usize>,
    osc_v: Option<usize>,
    m_dd: usize,
    m_dv: Option<usize>,
    m_vv: usize,
    m_vd: Option<usize>,
}

/// Parameter names and signs, in the reference `ParameterDict` order.
fn layout(cfg: &NcapConfig, n_joints: usize) -> (Vec<(String, Sign)>, Vec<JointSlots>) {
    use Sign::{Excitatory as E, Inhibitory as I};
    let mut names: Vec<(String, Sign)> = Vec::new();
    let push = |names: &mut Vec<(String, Sign)>, n: String, s: Sign| {
        names.push((n, s));
        names.len() - 1
    };
    let mut slots = vec![JointSlots::default(); n_joints];
    if cfg.sharing {
        let prop = cfg
            .proprioception
            .then(|| push(&mut names, "bneuron_prop".into(), E));
        let osc = cfg
            .oscillator
            .then(|| push(&mut names, "bneuron_osc".into(), E));
        let ipsi = push(&mut names, "muscle_ipsi".into(), E);
        let contra = cfg
            .cross_inhibition
            .then(|| push(&mut names, "muscle_contra".into(), I));
        for (i, s) in slots.iter_mut().enumerate() {
            *s = JointSlots {
                prop_d: prop.filter(|_| i > 0),
                prop_v: prop.filter(|_| i > 0),
                osc_d: osc.filter(|_| i == 0),
                osc_v: osc.filter(|_| i == 0),
                m_dd: ipsi,
                m_dv: contra,
                m_vv: ipsi,
                m_vd: contra,
            };
        }
    } else {
        for (i, s) in slots.iter_mut().enumerate() {
            if cfg.proprioception && i > 0 {
                s.prop_d = Some(push(&mut names, format!("bneuron_d_prop_{i}"), E));
                s.prop_v = Some(push(&mut names, format!("bneuron_v_prop_{i}"), E));
            }
            if cfg.oscillator && i == 0 {
                s.osc_d = Some(push(&mut names, format!("bneuron_d_osc_{i}"), E));
                s.osc_v = Some(push(&mut names, format!("bneuron_v_osc_{i}"), E));
            }
            s.m_dd = push(&mut names, format!("muscle_d_d_{i}"), E);
            s.m_dv = cfg
                .cross_inhibition
                .then(|| push(&mut names, format!("muscle_d_v_{i}"), I));
            s.m_vv = push(&mut names, format!("muscle_v_v_{i}"), E);
            s.m_vd = cfg
                .cross_inhibition
                .then(|| push(&mut names, format!("muscle_v_d_{i}"), I));
        }
    }
    (names, slots)
}

/// Neuron activity of one forward pass, kept for the backward pass and for rasters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NcapTrace {
    /// Dorsal proprioceptive input per joint (anterior joint's angle, dorsal half).
    pub q_d: Vec<f64>,
    /// Ventral proprioceptive input per joint.
    pub q_v: Vec<f64>,
    /// Oscillator (dorsal, ventral) at this step.
    pub osc: (f64, f64),
    /// Dorsal B-neuron pre-activation per joint.
    pub b_d_pre: Vec<f64>,
    /// Ventral B-neuron pre-activation per joint.
    pub b_v_pre: Vec<f64>,
    /// Dorsal B-neuron activity per joint.
    pub b_d: Vec<f64>,
    /// Ventral B-neuron activity per joint.
    pub b_v: Vec<f64>,
    /// Dorsal muscle pre-activation per joint.
    pub m_d_pre: Vec<f64>,
    /// Ventral muscle pre-activation per joint.
    pub m_v_pre: Vec<f64>,
    /// Dorsal muscle activity per joint.
    pub m_d: Vec<f64>,
    /// The descending drive of a steered pass (none in "swim").
    pub drive: Option<Drive>,
    /// Ventral muscle activity per joint.
    pub m_v: Vec<f64>,
}

impl NcapTrace {
    fn resize(&mut self, n: usize) {
        for v in [
            &mut self.q_d,
            &mut self.q_v,
            &mut self.b_d_pre,
            &mut self.b_v_pre,
            &mut self.b_d,
            &mut self.b_v,
            &mut self.m_d_pre,
            &mut self.m_v_pre,
            &mut self.m_d,
            &mut self.m_v,
        ] {
            v.clear();
            v.resize(n, 0.0);
        }
    }
}

/// The graded activation `clamp(x, 0, 1)`.
#[inline]
pub fn graded(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

// derivative of clamp(x, lo, hi) with the chosen boundary convention
#[inline]
fn d_clamp(x: f64, lo: f64, hi: f64, b: BoundaryGrad) -> f64 {
    let inside = match b {
        BoundaryGrad::Inclusive => x >= lo && x <= hi,
        BoundaryGrad::Exclusive => x > lo && x < hi,
    };
    f64::from(u8::from(inside))
}

/// The joint-angle normalisation of the reference: `clip(q / (2π/(N+1)), −1, 1)`.
pub fn normalised_angle(q: f64, n_joints: usize) -> f64 {
    let limit = 2.0 * std::f64::consts::PI / (n_joints as f64 + 1.0);
    (q / limit).clamp(-1.0, 1.0)
}

/// Dorsal and ventral oscillator outputs at episode step `t`: a square wave of period `p`.
pub fn oscillator(t: usize, period: usize) -> (f64, f64) {
    if t % period < period / 2 {
        (1.0, 0.0)
    } else {
        (0.0, 1.0)
    }
}

/// The most joints a controller may have (the swimmer has at most 19); a larger count in a
/// policy file is an error, not an allocation.
pub const MAX_JOINTS: usize = 1000;

/// An NCAP controller: architecture switches, a body size and a parameter vector.
///
/// Serialises as `{config, n_joints, params, names}`; loading re-checks the layout.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "NcapSpec", into = "NcapSpec")]
pub struct Ncap {
    cfg: NcapConfig,
    n_joints: usize,
    params: Vec<f64>,
    names: Vec<(String, Sign)>,
    slots: Vec<JointSlots>,
    steer: Option<steer::SteerSlots>,
}

impl PartialEq for Ncap {
    fn eq(&self, other: &Self) -> bool {
        self.cfg == other.cfg && self.n_joints == other.n_joints && self.params == other.params
    }
}

// the saved form of a controller
#[derive(Clone, Debug, Serialize, Deserialize)]
struct NcapSpec {
    config: NcapConfig,
    n_joints: usize,
    params: Vec<f64>,
    #[serde(default)]
    names: Vec<String>,
}

impl TryFrom<NcapSpec> for Ncap {
    type Error = NcapError;
    fn try_from(s: NcapSpec) -> Result<Self, NcapError> {
        if let Some(index) = s.params.iter().position(|p| !p.is_finite()) {
            return Err(NcapError::NonFinite { index });
        }
        Ncap::with_params(s.config, s.n_joints, Some(s.params))
    }
}

impl From<Ncap> for NcapSpec {
    fn from(n: Ncap) -> Self {
        NcapSpec {
            names: n.names.iter().map(|(s, _)| s.clone()).collect(),
            config: n.cfg,
            n_joints: n.n_joints,
            params: n.params,
        }
    }
}

impl Ncap {
    /// A controller for `n_joints` joints with weights drawn by `cfg.init` from `rng`.
    pub fn new(cfg: NcapConfig, n_joints: usize, rng: &mut impl Rng) -> Result<Self, NcapError> {
        let mut ncap = Self::with_params(cfg, n_joints, None)?;
        let signs = ncap.cfg.signs;
        let init = ncap.cfg.init;
        for (p, (_, sign)) in ncap.params.iter_mut().zip(&ncap.names) {
            *p = match (signs, init, sign) {
                // nn.Linear(2, 3)'s default init
                (_, _, Sign::Free) => rng.random_range(-steer::LINEAR_INIT..steer::LINEAR_INIT),
                (true, Init::Constant, Sign::Excitatory) => 1.0,
                (true, Init::Constant, Sign::Inhibitory) => -1.0,
                (true, Init::Uniform, Sign::Excitatory) => rng.random::<f64>(),
                (true, Init::Uniform, Sign::Inhibitory) => -rng.random::<f64>(),
                (false, Init::Constant, _) => {
                    if rng.random::<f64>() < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                (false, Init::Uniform, _) => rng.random_range(-1.0..1.0),
            };
        }
        Ok(ncap)
    }

    /// The default NCAP (sharing, signs, constant init) on `n_joints` joints: (+1, +1, +1, −1).
    pub fn default_for(n_joints: usize) -> Result<Self, NcapError> {
        // constant signed init draws nothing
        let mut rng = nc_core::rng::stream(0, "ncap-init", 0);
        Self::new(NcapConfig::default(), n_joints, &mut rng)
    }

    /// A controller with given parameters (`None`: zeros), checked against the layout.
    pub fn with_params(
        cfg: NcapConfig,
        n_joints: usize,
        params: Option<Vec<f64>>,
    ) -> Result<Self, NcapError> {
        if n_joints == 0 {
            return Err(NcapError::NoJoints);
        }
        if n_joints > MAX_JOINTS {
            return Err(NcapError::TooManyJoints {
                got: n_joints,
                max: MAX_JOINTS,
            });
        }
        if cfg.oscillator_period < 2 {
            return Err(NcapError::BadPeriod {
                period: cfg.oscillator_period,
            });
        }
        let (mut names, slots) = layout(&cfg, n_joints);
        let steer = steer::layout(&cfg, &mut names)?;
        let params = params.unwrap_or_else(|| vec![0.0; names.len()]);
        if params.len() != names.len() {
            return Err(NcapError::ParamCount {
                expected: names.len(),
                got: params.len(),
            });
        }
        Ok(Self {
            cfg,
            n_joints,
            params,
            names,
            slots,
            steer,
        })
    }

    /// The same weights on a body with `n_joints` joints (shared weights only).
    pub fn with_joints(&self, n_joints: usize) -> Result<Self, NcapError> {
        if n_joints == self.n_joints {
            return Ok(self.clone());
        }
        if !self.cfg.sharing {
            return Err(NcapError::UnsharedTransfer {
                n_joints: self.n_joints,
                requested: n_joints,
            });
        }
        Self::with_params(self.cfg.clone(), n_joints, Some(self.params.clone()))
    }

    /// Architecture switches.
    pub fn config(&self) -> &NcapConfig {
        &self.cfg
    }
    /// Number of joints this controller drives.
    pub fn n_joints(&self) -> usize {
        self.n_joints
    }
    /// Number of learnable parameters.
    pub fn n_params(&self) -> usize {
        self.params.len()
    }
    /// The raw (unclamped) parameters.
    pub fn params(&self) -> &[f64] {
        &self.params
    }
    /// The raw parameters, for optimisers.
    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }
    /// Parameter names (as in the reference `ParameterDict`) and signs.
    pub fn param_names(&self) -> &[(String, Sign)] {
        &self.names
    }

    // the weight the circuit sees: clamped to its sign when constraints are on
    #[inline]
    fn w(&self, idx: usize) -> f64 {
        let p = self.params[idx];
        match (self.cfg.signs, self.names[idx].1) {
            (false, _) | (_, Sign::Free) => p,
            (true, Sign::Excitatory) => p.max(0.0),
            (true, Sign::Inhibitory) => p.min(0.0),
        }
    }

    // an absent synapse weighs 0
    #[inline]
    fn w_opt(&self, idx: Option<usize>) -> f64 {
        idx.map_or(0.0, |i| self.w(i))
    }

    // d w / d param, PyTorch clamp convention
    #[inline]
    fn dw(&self, idx: usize) -> f64 {
        let p = self.params[idx];
        let b = self.cfg.boundary_grad;
        match (self.cfg.signs, self.names[idx].1) {
            (false, _) | (_, Sign::Free) => 1.0,
            (true, Sign::Excitatory) => d_clamp(p, 0.0, f64::INFINITY, b),
            (true, Sign::Inhibitory) => d_clamp(p, f64::NEG_INFINITY, 0.0, b),
        }
    }

    /// Torques in [−1, 1] for raw joint angles `joints` (rad) at episode step `t`.
    pub fn act(&self, joints: &[f64], t: usize, out: &mut [f64]) {
        let mut trace = NcapTrace::default();
        self.forward(joints, t, out, &mut trace);
    }

    /// Forward pass that records every neuron's activity in `trace`.
    ///
    /// Reads `min(joints.len(), n_joints)` angles; missing ones count as 0.
    pub fn forward(&self, joints: &[f64], t: usize, out: &mut [f64], trace: &mut NcapTrace) {
        trace.drive = None;
        self.forward_body(joints, t, out, trace);
    }

    // the circuit, with the descending drive in `trace.drive` added to the B-neurons
    fn forward_body(&self, joints: &[f64], t: usize, out: &mut [f64], trace: &mut NcapTrace) {
        let n = self.n_joints;
        trace.resize(n);
        let (od, ov) = oscillator(t, self.cfg.oscillator_period);
        trace.osc = (od, ov);
        for i in 0..n {
            let s = self.slots[i];
            // proprioception from the anterior joint, split into dorsal and ventral halves
            let (qd, qv) = if i > 0 {
                let q = normalised_angle(joints.get(i - 1).copied().unwrap_or(0.0), n);
                (q.clamp(0.0, 1.0), -q.clamp(-1.0, 0.0))
            } else {
                (0.0, 0.0)
            };
            trace.q_d[i] = qd;
            trace.q_v[i] = qv;
            let mut bd = 0.0;
            let mut bv = 0.0;
            if let (Some(pd), Some(pv)) = (s.prop_d, s.prop_v) {
                bd += qd * self.w(pd);
                bv += qv * self.w(pv);
            }
            if let (Some(o_d), Some(o_v)) = (s.osc_d, s.osc_v) {
                bd += od * self.w(o_d);
                bv += ov * self.w(o_v);
            }
            if let Some(d) = &trace.drive {
                let (dd, dv) = self.drive_input(d, i);
                bd += dd;
                bv += dv;
            }
            trace.b_d_pre[i] = bd;
            trace.b_v_pre[i] = bv;
            let (bd, bv) = (graded(bd), graded(bv));
            trace.b_d[i] = bd;
            trace.b_v[i] = bv;
            // ipsilateral excitation, contralateral inhibition
            let md = bd * self.w(s.m_dd) + bv * self.w_opt(s.m_dv);
            let mv = bv * self.w(s.m_vv) + bd * self.w_opt(s.m_vd);
            trace.m_d_pre[i] = md;
            trace.m_v_pre[i] = mv;
            trace.m_d[i] = graded(md);
            trace.m_v[i] = graded(mv);
            if let Some(o) = out.get_mut(i) {
                *o = graded(md) - graded(mv);
            }
        }
    }

    /// Accumulates `∂L/∂params` into `grad` given `∂L/∂torque` for the pass recorded in `trace`.
    pub fn backward(&self, trace: &NcapTrace, grad_out: &[f64], grad: &mut [f64]) {
        let mut g_drive = steer::DriveGrad::default();
        for i in 0..self.n_joints.min(grad_out.len()) {
            let s = self.slots[i];
            let g = grad_out[i];
            // torque = m_d − m_v through the graded clamp
            let bg = self.cfg.boundary_grad;
            let gmd = g * d_clamp(trace.m_d_pre[i], 0.0, 1.0, bg);
            let gmv = -g * d_clamp(trace.m_v_pre[i], 0.0, 1.0, bg);
            let (bd, bv) = (trace.b_d[i], trace.b_v[i]);
            grad[s.m_dd] += gmd * bd * self.dw(s.m_dd);
            grad[s.m_vv] += gmv * bv * self.dw(s.m_vv);
            if let (Some(dv), Some(vd)) = (s.m_dv, s.m_vd) {
                grad[dv] += gmd * bv * self.dw(dv);
                grad[vd] += gmv * bd * self.dw(vd);
            }
            let gbd = (gmd * self.w(s.m_dd) + gmv * self.w_opt(s.m_vd))
                * d_clamp(trace.b_d_pre[i], 0.0, 1.0, bg);
            let gbv = (gmd * self.w_opt(s.m_dv) + gmv * self.w(s.m_vv))
                * d_clamp(trace.b_v_pre[i], 0.0, 1.0, bg);
            if let (Some(pd), Some(pv)) = (s.prop_d, s.prop_v) {
                grad[pd] += gbd * trace.q_d[i] * self.dw(pd);
                grad[pv] += gbv * trace.q_v[i] * self.dw(pv);
            }
            if let (Some(o_d), Some(o_v)) = (s.osc_d, s.osc_v) {
                grad[o_d] += gbd * trace.osc.0 * self.dw(o_d);
                grad[o_v] += gbv * trace.osc.1 * self.dw(o_v);
            }
            if let Some(d) = &trace.drive {
                self.drive_backward(d, i, gbd, gbv, grad, &mut g_drive);
            }
        }
        if let Some(d) = &trace.drive {
            self.controller_backward(d, &g_drive, grad);
        }
    }
}

#[cfg(test)]
mod tests;

mod steer;
pub use steer::{Drive, Steering};
