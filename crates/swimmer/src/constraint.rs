//! Soft joint limits (`mj_instantiateLimit`, `mj_makeImpedance`, `mj_referenceConstraint`)
//! and their exact solve.
//!
//! MuJoCo's Newton solver minimises the convex primal
//! `½(a−a₀)ᵀM(a−a₀) + Σ ½ Dᵢ [Jᵢa − arefᵢ]₋²`, whose unique minimiser solves the LCP
//! `(J M⁻¹ Jᵀ + R) f + (J a₀ − aref) ⟂ f ≥ 0`. With at most one row per joint, we solve that
//! LCP exactly by principal pivoting (Murty's least-index rule, finite for SPD matrices).

use crate::articulated;
use crate::data::Data;
use crate::model::{MJ_MAXIMP, MJ_MINIMP, MJ_MINVAL, Model};

/// MuJoCo's impedance sigmoid (`getimpedance`) for a row at distance `pos` (margin 0).
pub fn impedance(solimp: [f64; 5], pos: f64) -> f64 {
    let dmin = solimp[0].clamp(MJ_MINIMP, MJ_MAXIMP);
    let dmax = solimp[1].clamp(MJ_MINIMP, MJ_MAXIMP);
    let width = solimp[2].max(0.0);
    let mid = solimp[3].clamp(MJ_MINIMP, MJ_MAXIMP);
    let power = solimp[4].max(1.0);
    if dmin == dmax || width <= MJ_MINVAL {
        return 0.5 * (dmin + dmax);
    }
    let x = (pos / width).abs();
    if x >= 1.0 || x <= 0.0 {
        return if x >= 1.0 { dmax } else { dmin };
    }
    // MuJoCo's `x^p / mid^(p-1)`, mirrored above mid; the square is spelled out because the
    // power is 2 in every dm_control model and `pow` costs more than the rest of the row
    let y = if power == 1.0 {
        x
    } else if power == 2.0 {
        if x <= mid {
            x * x / mid
        } else {
            1.0 - (1.0 - x) * (1.0 - x) / (1.0 - mid)
        }
    } else {
        sigmoid_pow(x, mid, power)
    };
    dmin + y * (dmax - dmin)
}

/// The sigmoid for powers other than 1 and 2: out of line, so the optimiser cannot hoist the
/// `pow` calls out of the row loop and run them on every step.
#[cold]
#[inline(never)]
fn sigmoid_pow(x: f64, mid: f64, power: f64) -> f64 {
    if x <= mid {
        x.powf(power) / mid.powf(power - 1.0)
    } else {
        1.0 - (1.0 - x).powf(power) / (1.0 - mid).powf(power - 1.0)
    }
}

/// Finds the violated limits and fills the `efc_*` rows: distance, velocity, `R` and `aref`.
pub fn make_constraint(m: &Model, d: &mut Data) {
    // solref with the integrator-safety floor on the time constant
    let timeconst = m.jnt_solref[0].max(2.0 * m.opt.timestep);
    let dampratio = m.jnt_solref[1];
    let dmax = m.jnt_solimp[1].clamp(MJ_MINIMP, MJ_MAXIMP);
    let k_stiff =
        1.0 / (dmax * dmax * timeconst * timeconst * dampratio * dampratio).max(MJ_MINVAL);
    let b_damp = 2.0 / (dmax * timeconst).max(MJ_MINVAL);

    let nu = m.nu;
    let (ranges, invweight) = (&m.jnt_range[..nu], &m.dof_invweight0[..nu + 3]);
    let (qpos, qvel) = (&d.qpos[..nu + 3], &d.qvel[..nu + 3]);
    let mut n = 0;
    for (k, range) in ranges.iter().enumerate() {
        let dof = m.hinge_dof(k + 1);
        let q = qpos[dof];
        // most joints are inside their range: no row (q − lo ≥ 0 exactly when q ≥ lo)
        if q >= range[0] && q <= range[1] {
            continue;
        }
        // lower side (J = +1), then upper side (J = -1), as MuJoCo orders them
        for (dist, j) in [(q - range[0], 1.0), (range[1] - q, -1.0)] {
            if dist < 0.0 {
                let imp = impedance(m.jnt_solimp, dist);
                let vel = j * qvel[dof];
                d.efc_dof[n] = dof;
                d.efc_j[n] = j;
                d.efc_pos[n] = dist;
                d.efc_vel[n] = vel;
                d.efc_r[n] = ((1.0 - imp) * invweight[dof] / imp).max(MJ_MINVAL);
                d.efc_aref[n] = -b_damp * vel - k_stiff * imp * dist;
                n += 1;
            }
        }
    }
    d.nefc = n;
}

/// Solves for the limit forces and sets `efc_force`, `qfrc_constraint` and `qacc`
/// (from `qacc_smooth` and the factored inertia).
pub fn solve(m: &Model, d: &mut Data) {
    let (nv, nc) = (m.nv, d.nefc);
    d.qfrc_constraint.fill(0.0);
    d.qacc.copy_from_slice(&d.qacc_smooth);
    if nc == 0 {
        return;
    }

    // columns of M⁻¹ for the constrained dofs
    let mut cols = std::mem::take(&mut d.minv_cols);
    for i in 0..nc {
        let col = &mut cols[i * nv..(i + 1) * nv];
        col.fill(0.0);
        col[d.efc_dof[i]] = 1.0;
        articulated::solve(m, d, col);
    }
    d.minv_cols = cols;
    solve_rows(m, d);
}

/// The rest of [`solve`] once `minv_cols` holds the columns of `M⁻¹` for the rows' dofs,
/// with `qfrc_constraint` zero and `qacc = qacc_smooth`: the forces, `qfrc_constraint` and
/// `qacc`. The batched stepper calls it lane by lane.
pub(crate) fn solve_rows(m: &Model, d: &mut Data) {
    let (nv, nc) = (m.nv, d.nefc);
    let cols = std::mem::take(&mut d.minv_cols);
    // A = J M⁻¹ Jᵀ + R and b = J a₀ − aref
    for i in 0..nc {
        for k in 0..nc {
            d.efc_a[i * nc + k] = d.efc_j[i] * d.efc_j[k] * cols[k * nv + d.efc_dof[i]];
        }
        d.efc_a[i * nc + i] += d.efc_r[i];
        d.efc_b[i] = d.efc_j[i] * d.qacc_smooth[d.efc_dof[i]] - d.efc_aref[i];
    }
    if nc == 1 && d.efc_a[0] > 0.0 && d.efc_a[0].is_finite() {
        // the pivoting below for one row, without its bookkeeping: the same operations
        let l = d.efc_a[0].sqrt();
        let b = d.efc_b[0];
        d.efc_force[0] = if b < 0.0 { (-b / l) / l } else { 0.0 };
    } else if !lcp(d, nc) {
        d.warn_solver += 1;
    }

    // qacc = a₀ + M⁻¹ Jᵀ f
    for i in 0..nc {
        let jf = d.efc_j[i] * d.efc_force[i];
        d.qfrc_constraint[d.efc_dof[i]] += jf;
        for (a, c) in d.qacc.iter_mut().zip(&cols[i * nv..(i + 1) * nv]) {
            *a += jf * c;
        }
    }
    d.minv_cols = cols;
}

/// Principal pivoting on `w = A f + b`, `f ≥ 0`, `w ≥ 0`, `fᵀw = 0`; writes `efc_force`.
/// Returns false if the iteration cap was hit (not expected for SPD `A`).
fn lcp(d: &mut Data, nc: usize) -> bool {
    let a = &d.efc_a[..nc * nc];
    for i in 0..nc {
        d.efc_active[i] = d.efc_b[i] < 0.0;
    }
    let cap = 64 + 16 * nc;
    for _ in 0..cap {
        // solve the active block exactly
        let mut ns = 0;
        for i in 0..nc {
            if d.efc_active[i] {
                d.efc_idx[ns] = i;
                ns += 1;
            }
        }
        let l = &mut d.efc_l[..ns * ns];
        for (r, &i) in d.efc_idx[..ns].iter().enumerate() {
            d.efc_rhs[r] = -d.efc_b[i];
            for (c, &k) in d.efc_idx[..ns].iter().enumerate() {
                l[r * ns + c] = a[i * nc + k];
            }
        }
        if nc_core::small::cholesky_in_place(l, ns).is_err() {
            return false;
        }
        nc_core::small::cholesky_solve_in_place(l, ns, &mut d.efc_rhs[..ns]);
        d.efc_force[..nc].fill(0.0);
        for (r, &i) in d.efc_idx[..ns].iter().enumerate() {
            d.efc_force[i] = d.efc_rhs[r];
        }

        // least index violating complementarity: toggle it
        let mut bad = None;
        for i in 0..nc {
            let violated = if d.efc_active[i] {
                d.efc_force[i] < 0.0
            } else {
                let mut w = d.efc_b[i];
                for &k in &d.efc_idx[..ns] {
                    w += a[i * nc + k] * d.efc_force[k];
                }
                d.efc_w[i] = w;
                w < 0.0
            };
            if violated {
                bad = Some(i);
                break;
            }
        }
        match bad {
            Some(i) => d.efc_active[i] = !d.efc_active[i],
            None => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impedance_follows_the_sigmoid() {
        let s = [0.0, 0.8, 0.1, 0.5, 2.0];
        // x = 0.25: y = 2x² = 0.125; x = 0.75: y = 1 − 2(0.25)² = 0.875; dmin floors at 1e-4
        let lo = MJ_MINIMP;
        assert!((impedance(s, -0.025) - (lo + (0.8 - lo) * 0.125)).abs() < 1e-15);
        assert!((impedance(s, -0.075) - (lo + (0.8 - lo) * 0.875)).abs() < 1e-15);
        assert_eq!(impedance(s, -0.2), 0.8);
        // dmin is clamped to mjMINIMP
        assert!((impedance(s, 0.0) - MJ_MINIMP).abs() < 1e-18);
    }
}
