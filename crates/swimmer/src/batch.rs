//! Several environments stepped together, one per SIMD lane (struct of arrays).
//!
//! The smooth stages (kinematics, the articulated factor and solve, fluid, bias, actuation,
//! integration) are the scalar code instantiated for [`Lanes`]: the same IEEE operations in
//! the same order, so each lane reproduces the single-environment step bit for bit. Joint
//! limits differ from lane to lane, so their rows are found and solved lane by lane with the
//! scalar code; only the columns of `M⁻¹` they need are computed for all lanes at once.
//!
//! The whole control step runs inside [`pulp::Arch::dispatch`], which picks the widest
//! instruction set the CPU has at run time (AVX2 where present) for the inlined lane
//! arithmetic; the build itself stays portable. Any lane that leaves the state bounds,
//! or an action that is not finite, abandons the batch: the caller then steps those
//! environments one by one, which reports exactly the error the scalar path reports.

use crate::actuation::actuation_any;
use crate::articulated::{factor_any, solve_any};
use crate::bias::rne_any;
use crate::constraint::{make_constraint, solve_rows};
use crate::data::{Data, zeroed};
use crate::integrate::euler_any;
use crate::kinematics::{com_vel_any, kinematics_any};
use crate::model::Model;
use crate::passive::passive_any;
use crate::real::{Lanes, Real};
use crate::step::within_bounds;
use crate::task::{SwimConfig, SwimEnv};

/// Environments per batch: 8 lanes are two AVX2 registers per value, which hides the
/// latency of the recursions' divisions and dependent chains.
pub(crate) const LANES: usize = 8;

type V = Lanes<LANES>;

/// The batch was abandoned; step its environments one at a time instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Abandoned;

/// Buffers for stepping [`LANES`] environments of one model together.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    /// The configuration every lane shares.
    cfg: SwimConfig,
    /// Its model.
    model: Model,
    /// The lanes' state and derived quantities.
    d: Data<V>,
    /// Columns of `M⁻¹` for the limit rows, row-major `rows × nv`.
    cols: Vec<V>,
    /// Per lane: a scalar [`Data`] holding that lane's limit rows and solver scratch.
    rows: Vec<Data>,
}

/// The physics steps of one control step, as a [`pulp::WithSimd`] operation so that its
/// body is inlined into the instruction-set-specific function `pulp` dispatches to.
struct Substeps<'a> {
    batch: &'a mut Batch,
    substeps: usize,
}

impl pulp::WithSimd for Substeps<'_> {
    type Output = bool;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> bool {
        self.batch.substeps(self.substeps)
    }
}

impl Batch {
    /// Allocates the buffers for environments like `env`.
    pub(crate) fn new(env: &SwimEnv) -> Batch {
        let m = env.model();
        Batch {
            cfg: *env.config(),
            model: m.clone(),
            d: zeroed(m, 0),
            cols: vec![V::splat(0.0); 2 * m.nu * m.nv],
            rows: (0..LANES).map(|_| Data::new(m)).collect(),
        }
    }

    /// One control step of `envs` (exactly [`LANES`] of them; any with another
    /// configuration abandons the batch): environment `l` holds `actions[l·nu..(l+1)·nu]`
    /// for its substeps and its reward goes to `rewards[l]`. On `Ok` every environment is exactly where
    /// [`SwimEnv::step`] would have left it. On `Err(Abandoned)` only the held controls
    /// may have changed, which [`SwimEnv::step`] sets again.
    pub(crate) fn step(
        &mut self,
        envs: &mut [SwimEnv],
        actions: &[f64],
        rewards: &mut [f64],
    ) -> Result<(), Abandoned> {
        let (nu, substeps) = (self.model.nu, self.cfg.substeps);
        assert_eq!(envs.len(), LANES, "one environment per lane");
        assert_eq!(actions.len(), LANES * nu, "one action per lane");
        // gather, after the scalar step's checks and clamping of the action
        for (l, (env, a)) in envs.iter_mut().zip(actions.chunks_exact(nu)).enumerate() {
            if env.config() != &self.cfg {
                return Err(Abandoned);
            }
            env.set_action(a).map_err(|_| Abandoned)?;
            let src = env.data();
            self.d.time.set_lane(l, src.time);
            for (dst, &x) in self.d.qpos.iter_mut().zip(&src.qpos) {
                dst.set_lane(l, x);
            }
            for (dst, &x) in self.d.qvel.iter_mut().zip(&src.qvel) {
                dst.set_lane(l, x);
            }
            for (dst, &x) in self.d.ctrl.iter_mut().zip(&src.ctrl) {
                dst.set_lane(l, x);
            }
        }
        let mut warn_before = [0; LANES];
        for (w, r) in warn_before.iter_mut().zip(&self.rows) {
            *w = r.warn_solver;
        }
        let ok = pulp::Arch::new().dispatch(Substeps {
            batch: self,
            substeps,
        });
        if !ok {
            return Err(Abandoned);
        }
        // scatter, then the scalar step's ending
        for (l, (env, r)) in envs.iter_mut().zip(rewards.iter_mut()).enumerate() {
            let rows = &self.rows[l];
            let d = env.data_mut();
            scatter(&self.d, l, d);
            d.nstep += substeps;
            d.warn_solver += rows.warn_solver - warn_before[l];
            let nc = rows.nefc;
            d.nefc = nc;
            d.efc_dof[..nc].copy_from_slice(&rows.efc_dof[..nc]);
            d.efc_j[..nc].copy_from_slice(&rows.efc_j[..nc]);
            d.efc_pos[..nc].copy_from_slice(&rows.efc_pos[..nc]);
            d.efc_vel[..nc].copy_from_slice(&rows.efc_vel[..nc]);
            d.efc_aref[..nc].copy_from_slice(&rows.efc_aref[..nc]);
            d.efc_r[..nc].copy_from_slice(&rows.efc_r[..nc]);
            d.efc_force[..nc].copy_from_slice(&rows.efc_force[..nc]);
            // the batch checked that the state is finite, so this cannot fail
            *r = env.finish_step().map_err(|_| Abandoned)?.reward;
        }
        Ok(())
    }

    /// `substeps` physics steps of every lane; false if any lane left the state bounds.
    #[inline(always)]
    fn substeps(&mut self, substeps: usize) -> bool {
        for _ in 0..substeps {
            if !self.physics_step() {
                return false;
            }
        }
        // the control step's final check
        self.d
            .qpos
            .iter()
            .chain(&self.d.qvel)
            .fold(true, |ok, v| ok & v.all_finite())
    }

    /// One `mj_step` of every lane, as [`crate::step`] does it.
    #[inline(always)]
    fn physics_step(&mut self) -> bool {
        let (m, d) = (&self.model, &mut self.d);
        if !(within_bounds(&d.qpos) && within_bounds(&d.qvel)) {
            return false;
        }
        kinematics_any(m, d);
        if !factor_any(m, d) {
            return false;
        }
        com_vel_any(m, d);
        passive_any(m, d);
        rne_any(m, d);
        actuation_any(m, d);
        for i in 0..m.nv {
            d.qfrc_smooth[i] = d.qfrc_passive[i] + d.qfrc_actuator[i] - d.qfrc_bias[i];
        }
        let mut acc = std::mem::take(&mut d.qacc_smooth);
        acc.copy_from_slice(&d.qfrc_smooth);
        solve_any(m, d, &mut acc);
        d.qacc_smooth = acc;
        self.limits();
        let (m, d) = (&self.model, &mut self.d);
        if !within_bounds(&d.qacc) {
            return false;
        }
        euler_any(m, d);
        true
    }

    /// Joint limits lane by lane: rows, the `M⁻¹` columns for all lanes at once, the
    /// solve; sets `qacc` and `qfrc_constraint`.
    #[inline(always)]
    fn limits(&mut self) {
        let (m, d) = (&self.model, &mut self.d);
        let nv = m.nv;
        d.qacc.copy_from_slice(&d.qacc_smooth);
        d.qfrc_constraint.fill(V::splat(0.0));
        // which lanes have a joint past a limit (q − lo < 0 exactly when q < lo)
        let mut violated = [false; LANES];
        for (k, r) in m.jnt_range.iter().enumerate() {
            let q = d.qpos[k + 3].0;
            for (v, &q) in violated.iter_mut().zip(&q) {
                *v |= (q < r[0]) | (q > r[1]);
            }
        }
        let mut max_rows = 0;
        for (l, rows) in self.rows.iter_mut().enumerate() {
            rows.nefc = 0;
            if violated[l] {
                for (dst, src) in rows.qpos.iter_mut().zip(&d.qpos) {
                    *dst = src.lane(l);
                }
                for (dst, src) in rows.qvel.iter_mut().zip(&d.qvel) {
                    *dst = src.lane(l);
                }
                make_constraint(m, rows);
                max_rows = max_rows.max(rows.nefc);
            }
        }
        if max_rows == 0 {
            return;
        }
        // row r of every lane at once: a unit force on that lane's dof (none past its rows)
        for r in 0..max_rows {
            let col = &mut self.cols[r * nv..(r + 1) * nv];
            col.fill(V::splat(0.0));
            for (l, rows) in self.rows.iter().enumerate() {
                if r < rows.nefc {
                    col[rows.efc_dof[r]].set_lane(l, 1.0);
                }
            }
            solve_any(m, d, col);
        }
        for (l, rows) in self.rows.iter_mut().enumerate() {
            let nc = rows.nefc;
            if nc == 0 {
                continue;
            }
            for (i, c) in self.cols[..nc * nv].iter().enumerate() {
                rows.minv_cols[i] = c.lane(l);
            }
            for (dst, src) in rows.qacc_smooth.iter_mut().zip(&d.qacc_smooth) {
                *dst = src.lane(l);
            }
            rows.qacc.copy_from_slice(&rows.qacc_smooth);
            rows.qfrc_constraint.fill(0.0);
            solve_rows(m, rows);
            for (dst, &x) in d.qacc.iter_mut().zip(&rows.qacc) {
                dst.set_lane(l, x);
            }
            for (dst, &x) in d.qfrc_constraint.iter_mut().zip(&rows.qfrc_constraint) {
                dst.set_lane(l, x);
            }
        }
    }
}

/// Copies lane `l` of the state and of every per-step quantity that the end of a control
/// step does not recompute into the scalar `d`.
fn scatter(src: &Data<V>, l: usize, d: &mut Data) {
    let put = |dst: &mut [f64], src: &[V]| {
        for (x, v) in dst.iter_mut().zip(src) {
            *x = v.lane(l);
        }
    };
    let put2 = |dst: &mut [[f64; 2]], src: &[[V; 2]]| {
        for (x, v) in dst.iter_mut().zip(src) {
            *x = [v[0].lane(l), v[1].lane(l)];
        }
    };
    d.time = src.time.lane(l);
    put(&mut d.qpos, &src.qpos);
    put(&mut d.qvel, &src.qvel);
    put(&mut d.qacc, &src.qacc);
    put(&mut d.qfrc_bias, &src.qfrc_bias);
    put(&mut d.qfrc_passive, &src.qfrc_passive);
    put(&mut d.qfrc_actuator, &src.qfrc_actuator);
    put(&mut d.qfrc_smooth, &src.qfrc_smooth);
    put(&mut d.qacc_smooth, &src.qacc_smooth);
    put(&mut d.qfrc_constraint, &src.qfrc_constraint);
    // the frames and body velocities are recomputed by `SwimEnv::finish_step`
    put2(&mut d.aba_s, &src.aba_s);
    put(&mut d.aba_invd, &src.aba_invd);
    for (x, v) in d.aba_v.iter_mut().zip(&src.aba_v) {
        *x = [v[0].lane(l), v[1].lane(l), v[2].lane(l)];
    }
    put(&mut d.aba_root, &src.aba_root);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The batch itself (not its one-by-one fallback) steps swimming environments with
    /// joint limits active, and lands where the scalar step lands. The full field-by-field
    /// comparison through `VecEnv` is in `tests/batch.rs`.
    #[test]
    fn batch_runs_without_falling_back_and_matches_scalar() {
        let cfg = SwimConfig {
            n_bodies: 7,
            ..SwimConfig::default()
        };
        let mut envs: Vec<SwimEnv> = (0..LANES as u64)
            .map(|s| {
                let mut e = SwimEnv::new(cfg).unwrap();
                e.reset(s);
                e
            })
            .collect();
        let mut singles = envs.clone();
        let mut batch = Batch::new(&envs[0]);
        let nu = cfg.n_bodies - 1;
        let mut rewards = [0.0; LANES];
        let mut rows = 0;
        for k in 0..40 {
            let actions: Vec<f64> = (0..LANES * nu)
                .map(|i| (k as f64 * 0.3 - (i % nu) as f64 + i as f64 * 0.1).sin())
                .collect();
            assert_eq!(batch.step(&mut envs, &actions, &mut rewards), Ok(()));
            for (l, e) in singles.iter_mut().enumerate() {
                let r = e.step(&actions[l * nu..(l + 1) * nu]).unwrap().reward;
                assert_eq!(r.to_bits(), rewards[l].to_bits());
                assert_eq!(e.qpos(), envs[l].qpos());
                assert_eq!(e.qvel(), envs[l].qvel());
                rows += batch.rows[l].nefc;
            }
        }
        assert!(rows > 0, "no joint reached its limit");
    }
}
