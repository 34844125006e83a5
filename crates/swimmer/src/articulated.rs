//! `M⁻¹ τ` in O(n) by the articulated-body recursion, without forming `M`.
//!
//! MuJoCo factors the dense joint-space inertia (`mj_factorM`); for a chain every dof is an
//! ancestor of the next, so that costs O(n³). The same solve runs in O(n) as Featherstone's
//! articulated-body algorithm at zero velocity: one tail-to-head pass reduces each body's
//! subtree to an articulated inertia (once per step, [`factor`]); each right-hand side then
//! takes one pass each way ([`solve`]).
//!
//! Planar spatial vectors are `(ω, vx, vy)` and `(τ, fx, fy)`, all in the world frame about
//! one reference point, the root anchor, so no frame changes are needed between bodies.
//! About that point the hinge of a body anchored at offset `r` has motion subspace
//! `S = (1, r_y, −r_x)`, and the three root dofs (slide x, slide y, hinge) are the
//! unit vectors `(0,1,0)`, `(0,0,1)`, `(1,0,0)`. Armature adds to each hinge's `D = Sᵀ I S`,
//! as it adds to `M`'s diagonal.

use crate::data::Data;
use crate::kinematics::sub;
use crate::model::Model;
use crate::real::Real;

/// Packed symmetric 3×3 spatial inertia: `[ωω, ωx, ωy, xx, xy, yy]`.
type Sym3<T> = [T; 6];

/// Spatial inertia of a body of mass `mass` and rotational inertia `izz` whose centre of
/// mass sits at offset `c` from the reference point (world frame).
#[inline(always)]
fn body_inertia<T: Real>(mass: f64, izz: f64, c: [T; 2]) -> Sym3<T> {
    let (m, z) = (T::splat(mass), T::splat(0.0));
    [
        T::splat(izz) + (c[0] * c[0] + c[1] * c[1]) * mass,
        -(c[1] * mass),
        c[0] * mass,
        m,
        z,
        m,
    ]
}

/// Reduces the chain to articulated inertias from the current kinematics. Returns false if
/// the inertia is not positive definite (a non-finite state).
#[inline(always)]
pub fn factor(m: &Model, d: &mut Data) -> bool {
    factor_any(m, d)
}

/// [`factor`] for any number type; false if any lane fails.
#[inline(always)]
pub(crate) fn factor_any<T: Real>(m: &Model, d: &mut Data<T>) -> bool {
    let n = m.nbody;
    let (mass, inertia, arm) = (
        &m.body_mass[..n],
        &m.body_inertia[..n],
        &m.dof_armature[..n + 2],
    );
    let (xipos, xanchor) = (&d.xipos[..n], &d.xanchor[..n]);
    let (out_s, out_v, out_invd) = (&mut d.aba_s[..n], &mut d.aba_v[..n], &mut d.aba_invd[..n]);
    let p = xanchor[0];
    // articulated inertia handed by the child to its parent (none below the tail)
    let mut ia: Sym3<T> = [T::splat(0.0); 6];
    // a NaN or infinity anywhere reaches the root's pivots, which are checked there
    let mut positive = true;
    for b in (1..n).rev() {
        let ib = body_inertia(mass[b], inertia[b][2], sub(xipos[b], p));
        let a: Sym3<T> = std::array::from_fn(|k| ib[k] + ia[k]);
        let r = sub(xanchor[b], p);
        let s = [r[1], -r[0]];
        // U = I S, D = Sᵀ U + armature
        let u = [
            a[0] + a[1] * s[0] + a[2] * s[1],
            a[1] + a[3] * s[0] + a[4] * s[1],
            a[2] + a[4] * s[0] + a[5] * s[1],
        ];
        let dd = u[0] + s[0] * u[1] + s[1] * u[2] + T::splat(arm[b + 2]);
        positive &= dd.all_gt(0.0);
        let invd = T::splat(1.0) / dd;
        let v = [u[0] * invd, u[1] * invd, u[2] * invd];
        // what the parent feels: I − U Uᵀ / D
        ia = [
            a[0] - u[0] * v[0],
            a[1] - u[0] * v[1],
            a[2] - u[0] * v[2],
            a[3] - u[1] * v[1],
            a[4] - u[1] * v[2],
            a[5] - u[2] * v[2],
        ];
        out_s[b] = s;
        out_v[b] = v;
        out_invd[b] = invd;
    }
    // the root: three dofs with unit motion subspaces, in dof order (x, y, heading)
    let ib = body_inertia(mass[0], inertia[0][2], sub(xipos[0], p));
    let a: Sym3<T> = std::array::from_fn(|k| ib[k] + ia[k]);
    let arm = |i: usize| T::splat(arm[i]);
    let mr = [
        [a[3] + arm(0), a[4], a[1]],
        [a[4], a[5] + arm(1), a[2]],
        [a[1], a[2], a[0] + arm(2)],
    ];
    cholesky3(mr, &mut d.aba_root) && positive
}

/// Cholesky factor of an SPD 3×3, packed `[l00, l10, l11, l20, l21, l22]`.
#[inline(always)]
fn cholesky3<T: Real>(a: [[T; 3]; 3], l: &mut [T; 6]) -> bool {
    let l00 = a[0][0].sqrt();
    let l10 = a[1][0] / l00;
    let l11 = (a[1][1] - l10 * l10).sqrt();
    let l20 = a[2][0] / l00;
    let l21 = (a[2][1] - l20 * l10) / l11;
    let l22 = (a[2][2] - l20 * l20 - l21 * l21).sqrt();
    *l = [l00, l10, l11, l20, l21, l22];
    // NaN compares false: a non-positive or non-finite pivot fails here
    l.iter().fold(true, |ok, x| ok & x.all_finite())
        & l00.all_gt(0.0)
        & l11.all_gt(0.0)
        & l22.all_gt(0.0)
}

/// Solves `M x = x` in place with the factor from [`factor`].
#[inline(always)]
pub fn solve(m: &Model, d: &Data, x: &mut [f64]) {
    solve_any(m, d, x);
}

/// [`solve`] for any number type.
#[inline(always)]
pub(crate) fn solve_any<T: Real>(m: &Model, d: &Data<T>, x: &mut [T]) {
    let n = m.nbody;
    let x = &mut x[..n + 2];
    let (sv, vv, invd) = (&d.aba_s[..n], &d.aba_v[..n], &d.aba_invd[..n]);
    // tail to head: the bias force each subtree passes up, p = Σ V u
    let mut p = [T::splat(0.0); 3];
    for b in (1..n).rev() {
        let (s, v) = (sv[b], vv[b]);
        let u = x[b + 2] - (p[0] + s[0] * p[1] + s[1] * p[2]);
        x[b + 2] = u;
        p = [p[0] + v[0] * u, p[1] + v[1] * u, p[2] + v[2] * u];
    }
    // root: (x, y, heading) rows of Sᵀ p are (p_x, p_y, p_ω)
    let l = &d.aba_root;
    let r0 = (x[0] - p[1]) / l[0];
    let r1 = (x[1] - p[2] - l[1] * r0) / l[2];
    let r2 = (x[2] - p[0] - l[3] * r0 - l[4] * r1) / l[5];
    let z2 = r2 / l[5];
    let z1 = (r1 - l[4] * z2) / l[2];
    let z0 = (r0 - l[1] * z1 - l[3] * z2) / l[0];
    x[0] = z0;
    x[1] = z1;
    x[2] = z2;
    // head to tail: spatial acceleration a of the parent, then the hinge's own acceleration
    let mut a = [z2, z0, z1];
    for b in 1..n {
        let (s, v) = (sv[b], vv[b]);
        let q = x[b + 2] * invd[b] - (v[0] * a[0] + v[1] * a[1] + v[2] * a[2]);
        x[b + 2] = q;
        a = [a[0] + q, a[1] + s[0] * q, a[2] + s[1] * q];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inertia::crb;
    use crate::kinematics::kinematics;
    use crate::model::Options;

    /// `M · solve(τ)` must give back `τ`, with `M` from the composite-rigid-body algorithm
    /// (checked against MuJoCo's qM in the stage tests).
    #[test]
    fn solve_inverts_the_dense_mass_matrix() {
        for n in [3, 6, 12, 20] {
            let m = Model::swimmer(n, Options::default()).unwrap();
            let mut d = Data::new(&m);
            for (i, q) in d.qpos.iter_mut().enumerate() {
                *q = 0.7 * (1.3 * i as f64 + 0.4).sin();
            }
            kinematics(&m, &mut d);
            crb(&m, &mut d);
            assert!(factor(&m, &mut d));
            let nv = m.nv;
            for k in 0..3 {
                let tau: Vec<f64> = (0..nv)
                    .map(|i| ((i * 7 + k * 3) as f64).cos() * if i < 2 { 1e-2 } else { 1e-4 })
                    .collect();
                let mut x = tau.clone();
                solve(&m, &d, &mut x);
                for i in 0..nv {
                    let back: f64 = (0..nv).map(|j| d.qm[i * nv + j] * x[j]).sum();
                    let scale = tau.iter().fold(0.0_f64, |s, t| s.max(t.abs()));
                    assert!(
                        (back - tau[i]).abs() <= 1e-12 * scale,
                        "n={n} row {i}: {back} vs {}",
                        tau[i]
                    );
                }
            }
        }
    }
}
