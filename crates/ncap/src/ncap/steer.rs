//! Descending speed and turn inputs, as the reference `SwimmerModule` adds them for its
//! navigation task.
//!
//! From the target's position in the head frame, `x = −to_target[0]` and `y = to_target[1]`,
//! a controller gives `(right, left, speed)`: the reference's fixed rule `right = [x > 0.1]`,
//! `left = [x < −0.1]`, `speed = [|y| > 0.12]`, or a learned `Linear(2, 3)` on `(x, |y|)`.
//! Then `brake = 1 − clamp(speed, 0, 1)` reaches every B-neuron through the shared inhibitory
//! `bneuron_speed`, and `right` (dorsal) and `left` (ventral) reach the B-neurons of the first
//! `turn_joints` joints through the shared excitatory `bneuron_turn`.

use super::{Ncap, NcapConfig, NcapError, Sign, d_clamp};
use serde::{Deserialize, Serialize};

/// `nn.Linear(2, 3)`'s default init bound, `1/√fan_in`.
pub(super) const LINEAR_INIT: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Steering switches: which controller, and how many head joints the turn input reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steering {
    /// A learned `Linear(2, 3)` controller (9 more parameters) instead of the fixed rule.
    pub learned: bool,
    /// Joints, from the head, whose B-neurons receive the turn input (the reference's 1).
    pub turn_joints: usize,
}

impl Default for Steering {
    fn default() -> Self {
        Self {
            learned: false,
            turn_joints: 1,
        }
    }
}

/// The descending signals of one step, kept for the backward pass.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Drive {
    /// The controller's inputs `(x, |y|)`.
    pub input: [f64; 2],
    /// Turn right (dorsal).
    pub right: f64,
    /// Turn left (ventral).
    pub left: f64,
    /// The speed command before its clamp.
    pub speed: f64,
}

impl Drive {
    /// `1 − clamp(speed, 0, 1)`.
    pub fn brake(&self) -> f64 {
        1.0 - self.speed.clamp(0.0, 1.0)
    }
}

// parameter indices of the steering weights
#[derive(Clone, Copy, Debug)]
pub(super) struct SteerSlots {
    speed: usize,
    turn: usize,
    // first of the controller's 6 weights (row-major, out × in) and 3 biases
    controller: Option<usize>,
    turn_joints: usize,
}

// d loss / d (right, left, speed), summed over joints
#[derive(Default)]
pub(super) struct DriveGrad {
    right: f64,
    left: f64,
    speed: f64,
}

/// Appends the steering parameters to `names` (after the body's).
pub(super) fn layout(
    cfg: &NcapConfig,
    names: &mut Vec<(String, Sign)>,
) -> Result<Option<SteerSlots>, NcapError> {
    let Some(st) = cfg.steering else {
        return Ok(None);
    };
    if st.turn_joints == 0 {
        return Err(NcapError::NoTurnJoints);
    }
    let mut push = |n: String, s: Sign| {
        names.push((n, s));
        names.len() - 1
    };
    let speed = push("bneuron_speed".into(), Sign::Inhibitory);
    let turn = push("bneuron_turn".into(), Sign::Excitatory);
    let controller = st.learned.then(|| {
        let first = push("controller.weight.0.0".into(), Sign::Free);
        for (r, c) in [(0, 1), (1, 0), (1, 1), (2, 0), (2, 1)] {
            push(format!("controller.weight.{r}.{c}"), Sign::Free);
        }
        for r in 0..3 {
            push(format!("controller.bias.{r}"), Sign::Free);
        }
        first
    });
    Ok(Some(SteerSlots {
        speed,
        turn,
        controller,
        turn_joints: st.turn_joints,
    }))
}

impl Ncap {
    /// Torques for raw joint angles and the target's position in the head frame (the
    /// `to_target` observation). Without [`Steering`] in the config the target is ignored.
    pub fn act_steered(&self, joints: &[f64], to_target: [f64; 2], t: usize, out: &mut [f64]) {
        let mut trace = super::NcapTrace::default();
        self.forward_steered(joints, to_target, t, out, &mut trace);
    }

    /// [`Ncap::act_steered`], recording every neuron and the drive in `trace`.
    pub fn forward_steered(
        &self,
        joints: &[f64],
        to_target: [f64; 2],
        t: usize,
        out: &mut [f64],
        trace: &mut super::NcapTrace,
    ) {
        trace.drive = self.steer.map(|s| self.drive(&s, to_target));
        self.forward_body(joints, t, out, trace);
    }

    // the controller: (right, left, speed) from the target
    fn drive(&self, s: &SteerSlots, to_target: [f64; 2]) -> Drive {
        let (x, y) = (-to_target[0], to_target[1]);
        let input = [x, y.abs()];
        let Some(c) = s.controller else {
            let on = |b: bool| f64::from(u8::from(b));
            return Drive {
                input,
                right: on(x > 0.1),
                left: on(x < -0.1),
                speed: on(y.abs() > 0.12),
            };
        };
        let p = &self.params;
        let row = |r: usize| p[c + 2 * r] * input[0] + p[c + 2 * r + 1] * input[1] + p[c + 6 + r];
        Drive {
            input,
            right: row(0),
            left: row(1),
            speed: row(2),
        }
    }

    // what the drive adds to joint i's (dorsal, ventral) B-neurons
    pub(super) fn drive_input(&self, d: &Drive, i: usize) -> (f64, f64) {
        let Some(s) = self.steer else {
            return (0.0, 0.0);
        };
        let brake = self.w(s.speed) * d.brake();
        if i < s.turn_joints {
            let turn = self.w(s.turn);
            (brake + turn * d.right, brake + turn * d.left)
        } else {
            (brake, brake)
        }
    }

    // gradients of the steering weights from joint i's B-neuron gradients
    pub(super) fn drive_backward(
        &self,
        d: &Drive,
        i: usize,
        gbd: f64,
        gbv: f64,
        grad: &mut [f64],
        g: &mut DriveGrad,
    ) {
        let Some(s) = self.steer else {
            return;
        };
        let brake = d.brake();
        grad[s.speed] += (gbd + gbv) * brake * self.dw(s.speed);
        // d brake / d speed = −1 inside the clamp
        g.speed -=
            (gbd + gbv) * self.w(s.speed) * d_clamp(d.speed, 0.0, 1.0, self.cfg.boundary_grad);
        if i < s.turn_joints {
            grad[s.turn] += (gbd * d.right + gbv * d.left) * self.dw(s.turn);
            g.right += gbd * self.w(s.turn);
            g.left += gbv * self.w(s.turn);
        }
    }

    // gradients of the learned controller's linear map
    pub(super) fn controller_backward(&self, d: &Drive, g: &DriveGrad, grad: &mut [f64]) {
        let Some(c) = self.steer.and_then(|s| s.controller) else {
            return;
        };
        for (r, gr) in [g.right, g.left, g.speed].into_iter().enumerate() {
            grad[c + 2 * r] += gr * d.input[0];
            grad[c + 2 * r + 1] += gr * d.input[1];
            grad[c + 6 + r] += gr;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steered(learned: bool) -> Ncap {
        let cfg = NcapConfig {
            steering: Some(Steering {
                learned,
                turn_joints: 2,
            }),
            ..NcapConfig::default()
        };
        let mut rng = nc_core::rng::stream(3, "t", 0);
        Ncap::new(cfg, 5, &mut rng).unwrap()
    }

    #[test]
    fn steering_adds_the_references_two_weights_and_a_learned_controller_nine() {
        let fixed = steered(false);
        assert_eq!(fixed.n_params(), 6);
        assert_eq!(&fixed.params()[4..], &[-1.0, 1.0]);
        let learned = steered(true);
        assert_eq!(learned.n_params(), 15);
        assert!(
            learned.params()[6..]
                .iter()
                .all(|p| p.abs() < LINEAR_INIT && *p != 0.0)
        );
        let bad = NcapConfig {
            steering: Some(Steering {
                learned: false,
                turn_joints: 0,
            }),
            ..NcapConfig::default()
        };
        assert_eq!(
            Ncap::with_params(bad, 5, None).unwrap_err(),
            NcapError::NoTurnJoints
        );
    }

    #[test]
    fn steering_codes_round_trip_and_steered_policies_save_and_load() {
        for code in ["111-steer", "111-steerlearn", "011-noosc-steerlearn"] {
            assert_eq!(NcapConfig::from_code(code).unwrap().code(), code);
        }
        for bad in ["111-steer-steer", "111-steer-steerlearn", "111-steering"] {
            assert!(NcapConfig::from_code(bad).is_err(), "{bad}");
        }
        let policy = crate::policy::SavedPolicy::Ncap {
            ncap: steered(true),
        };
        let bytes = crate::policy_file::to_bytes(&policy).unwrap();
        assert_eq!(crate::policy_file::from_bytes(&bytes).unwrap(), policy);
    }

    #[test]
    fn the_fixed_rule_brakes_near_the_target_and_turns_toward_its_side() {
        let n = steered(false);
        let joints = [0.0; 5];
        let mut out = [0.0; 5];
        // target straight ahead and far: no brake, no turn, the head oscillates as in "swim"
        n.act_steered(&joints, [0.0, -1.0], 0, &mut out);
        assert_eq!(out[0], 1.0);
        // target close on the axis: brake inhibits every B-neuron, nothing moves
        n.act_steered(&joints, [0.0, 0.05], 0, &mut out);
        assert!(out.iter().all(|&a| a == 0.0), "{out:?}");
        // target to the side (x = −to_target[0] > 0.1): right drives the dorsal side of the
        // first two joints, even where the oscillator is ventral
        n.act_steered(&joints, [-0.5, -1.0], 30, &mut out);
        assert_eq!((out[0], out[1], out[2]), (0.0, 1.0, 0.0), "{out:?}");
    }

    #[test]
    fn steered_backward_matches_central_differences() {
        let mut rng = nc_core::rng::stream(4, "t", 0);
        use rand::RngExt;
        for learned in [false, true] {
            let mut n = steered(learned);
            // weights away from the clamps' kinks, so differences see smooth pieces
            for p in n.params_mut() {
                *p *= rng.random_range(0.3..0.7);
            }
            for trial in 0..20 {
                let joints: Vec<f64> = (0..5).map(|_| rng.random_range(-0.9..0.9)).collect();
                let tt = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
                let g_out: Vec<f64> = (0..5).map(|_| rng.random_range(-1.0..1.0)).collect();
                let loss = |n: &Ncap| {
                    let mut out = [0.0; 5];
                    n.act_steered(&joints, tt, trial, &mut out);
                    out.iter().zip(&g_out).map(|(a, g)| a * g).sum::<f64>()
                };
                let mut trace = crate::ncap::NcapTrace::default();
                let mut out = [0.0; 5];
                n.forward_steered(&joints, tt, trial, &mut out, &mut trace);
                let mut grad = vec![0.0; n.n_params()];
                n.backward(&trace, &g_out, &mut grad);
                let h = 1e-6;
                for k in 0..n.n_params() {
                    let (mut up, mut down) = (n.clone(), n.clone());
                    up.params_mut()[k] += h;
                    down.params_mut()[k] -= h;
                    let fd = (loss(&up) - loss(&down)) / (2.0 * h);
                    assert!(
                        (fd - grad[k]).abs() < 1e-6,
                        "learned {learned} trial {trial} param {}: fd {fd} vs {}",
                        n.param_names()[k].0,
                        grad[k]
                    );
                }
            }
        }
    }
}
