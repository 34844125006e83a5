//! Forward and backward passes against PyTorch (float64) on committed golden data made by
//! tools/reference/ncap/make_golden.py.
//!
//! The MLP checks run twice: in f64 with a tolerance of 1e-9 (only summation order differs
//! from PyTorch), and in f32, the training precision, with 1e-5: inputs and weights are
//! rounded to f32 and 256-term dot products accumulate in f32. Tolerances are relative to
//! `|torch| + scale`, the scale being 1 for single values, the root mean square entry for
//! gradient entries and the gradient's norm for its projections. The f32 errors seen were
//! below 1e-6 (the check fails at 3e-7), so 1e-5 leaves a margin of 10.

use nc_ncap::actor::{GaussianActor, gaussian_log_prob};
use nc_ncap::mlp::{Activation, Mlp, MlpCache};
use nc_ncap::ncap::{BoundaryGrad, Ncap, NcapConfig, NcapTrace};
use nc_ncap::precision::{Real, cast};
use serde_json::Value;

const TOL_F64: f64 = 1e-9;
const TOL_F32: f64 = 1e-5;

fn golden() -> Value {
    serde_json::from_str(include_str!("data/torch_golden.json")).unwrap()
}

// mirrors `fill` in the script
fn fill(n: usize, a: f64, b: f64, scale: f64) -> Vec<f64> {
    (0..n).map(|k| scale * (a * k as f64 + b).sin()).collect()
}

fn mlp<T: Real>(sizes: &[usize], acts: &[Activation], tag: f64) -> Mlp<T> {
    let mut rng = nc_core::rng::stream(0, "golden", 0);
    let mut m = Mlp::<f64>::new(sizes, acts, &mut rng).unwrap();
    let mut p = Vec::new();
    for (l, w) in sizes.windows(2).enumerate() {
        let (fi, fo) = (w[0], w[1]);
        p.extend(fill(
            fo * fi,
            0.37,
            tag + l as f64,
            1.5 / (fi as f64).sqrt(),
        ));
        p.extend(fill(fo, 0.91, tag + l as f64 + 0.5, 0.3));
    }
    m.params_mut().copy_from_slice(&p);
    m.cast()
}

fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

// |a − b| ≤ tol·(|b| + scale): `scale` is the size of the quantity compared (1 for single
// values, the gradient's norm per entry for gradient entries)
fn close_to(a: f64, b: f64, tol: f64, scale: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * (b.abs() + scale),
        "{what}: ours {a}, torch {b} (tolerance {tol})"
    );
}

fn close(a: f64, b: f64, what: &str) {
    close_to(a, b, TOL_F64, 1.0, what);
}

fn check_summary(g: &[f64], s: &Value, tol: f64, what: &str) {
    assert_eq!(g.len() as u64, s["n"].as_u64().unwrap());
    let norm = s["norm"].as_f64().unwrap();
    // an entry's scale is the root mean square entry; a projection's, the norm (the formula
    // vectors have entries of size about 1)
    let entry = norm / (g.len() as f64).sqrt();
    for (k, (a, b)) in g.iter().zip(vecf(&s["head"])).enumerate() {
        close_to(*a, b, tol, entry, &format!("{what} head[{k}]"));
    }
    for (j, b) in vecf(&s["proj"]).into_iter().enumerate() {
        let v = fill(g.len(), 0.113 * (j + 1) as f64, 0.2 * j as f64, 1.0);
        let a: f64 = g.iter().zip(&v).map(|(x, y)| x * y).sum();
        close_to(a, b, tol, norm, &format!("{what} projection {j}"));
    }
    close_to(
        g.iter().map(|x| x * x).sum::<f64>().sqrt(),
        norm,
        tol,
        1.0,
        &format!("{what} norm"),
    );
}

fn widen<T: Real>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.f64()).collect()
}

fn gaussian_actor_case<T: Real>(tol: f64) {
    let gd = golden();
    let g = &gd["gaussian_actor"];
    let (obs, act, batch) = (24, 5, 6);
    let mut rng = nc_core::rng::stream(0, "golden", 1);
    let mut actor = GaussianActor::<T>::new(obs, act, &[64, 64], &mut rng).unwrap();
    actor.mlp = mlp(&[obs, 64, 64, act], &[Activation::Tanh; 3], 0.1);
    actor.log_scale = cast(&fill(act, 0.7, 0.3, 0.8));
    let x: Vec<T> = cast(&fill(batch * obs, 0.53, 0.2, 2.0));
    let a = fill(batch * act, 0.29, 1.1, 0.9);
    let adv = fill(batch, 1.3, 0.4, 1.0);
    let mut cache = MlpCache::default();
    actor.mlp.forward(&x, batch, &mut cache).unwrap();
    let loc = widen(cache.output());
    for (k, (o, t)) in loc.iter().zip(vecf(&g["loc"])).enumerate() {
        close_to(*o, t, tol, 1.0, &format!("loc[{k}]"));
    }
    let scale = actor.scale();
    for (o, t) in scale.iter().zip(vecf(&g["scale"])) {
        close_to(*o, t, tol, 1.0, "scale");
    }
    // loss = −mean_b(log π(a_b|s_b)·adv_b)
    let mut dloc = vec![0.0; batch * act];
    let mut dscale = vec![0.0; act];
    let mut loss = 0.0;
    for b in 0..batch {
        let r = b * act..(b + 1) * act;
        let mut ds = vec![0.0; act];
        let lp = gaussian_log_prob(
            &a[r.clone()],
            &loc[r.clone()],
            &scale,
            &mut dloc[r.clone()],
            &mut ds,
        );
        let w = -adv[b] / batch as f64;
        loss += w * lp;
        dloc[r].iter_mut().for_each(|d| *d *= w);
        for k in 0..act {
            dscale[k] += w * ds[k];
        }
    }
    close_to(loss, g["loss"].as_f64().unwrap(), tol, 1.0, "loss");
    let mut grad = vec![T::zero(); actor.mlp.n_params()];
    actor
        .mlp
        .backward(&mut cache, &cast(&dloc), &mut grad, None)
        .unwrap();
    let grad = widen(&grad);
    check_summary(&grad, &g["grad"], tol, "actor grad");
    let last = vecf(&g["grad_last_layer"]);
    for (k, (a, b)) in grad[grad.len() - last.len()..]
        .iter()
        .zip(&last)
        .enumerate()
    {
        close_to(*a, *b, tol, 1.0, &format!("last layer grad[{k}]"));
    }
    let dls: Vec<f64> = dscale
        .iter()
        .zip(actor.dscale())
        .map(|(a, b)| a * b)
        .collect();
    for (a, b) in dls.iter().zip(vecf(&g["grad_log_scale"])) {
        close_to(*a, b, tol, 1.0, "log_scale grad");
    }
}

#[test]
fn gaussian_actor_log_prob_gradient_matches_pytorch() {
    gaussian_actor_case::<f64>(TOL_F64);
}

#[test]
fn gaussian_actor_log_prob_gradient_matches_pytorch_in_f32() {
    gaussian_actor_case::<f32>(TOL_F32);
}

fn ddpg_case<T: Real>(tol: f64) {
    let gd = golden();
    let g = &gd["ddpg"];
    let (obs, act, batch) = (24, 5, 4);
    use Activation::*;
    let actor = mlp::<T>(&[obs, 256, 256, act], &[Relu, Relu, Tanh], 2.1);
    let critic = mlp::<T>(&[obs + act, 256, 256, 1], &[Relu, Relu, Identity], 3.7);
    let x = fill(batch * obs, 0.41, 0.9, 1.5);
    let a = fill(batch * act, 0.67, 0.1, 0.8);
    let y = fill(batch, 0.77, 0.6, 2.0);
    let cat = |x: &[f64], a: &[f64]| -> Vec<T> {
        (0..batch)
            .flat_map(|b| {
                x[b * obs..(b + 1) * obs]
                    .iter()
                    .chain(&a[b * act..(b + 1) * act])
                    .map(|&v| T::of(v))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    // critic regression
    let mut cc = MlpCache::default();
    critic.forward(&cat(&x, &a), batch, &mut cc).unwrap();
    let q = widen(cc.output());
    for (a, b) in q.iter().zip(vecf(&g["q"])) {
        close_to(*a, b, tol, 1.0, "q");
    }
    let closs: f64 = q.iter().zip(&y).map(|(q, y)| (q - y).powi(2)).sum::<f64>() / batch as f64;
    close_to(
        closs,
        g["critic_loss"].as_f64().unwrap(),
        tol,
        1.0,
        "critic loss",
    );
    let dq: Vec<T> = q
        .iter()
        .zip(&y)
        .map(|(q, y)| T::of(2.0 * (q - y) / batch as f64))
        .collect();
    let mut gc = vec![T::zero(); critic.n_params()];
    critic.backward(&mut cc, &dq, &mut gc, None).unwrap();
    check_summary(&widen(&gc), &g["critic_grad"], tol, "critic grad");
    // actor through the critic
    let mut ca = MlpCache::default();
    actor.forward(&cast(&x), batch, &mut ca).unwrap();
    let pi = widen(ca.output());
    for (a, b) in pi.iter().zip(vecf(&g["pi"])) {
        close_to(*a, b, tol, 1.0, "pi");
    }
    critic.forward(&cat(&x, &pi), batch, &mut cc).unwrap();
    let aloss = -widen(cc.output()).iter().sum::<f64>() / batch as f64;
    close_to(
        aloss,
        g["actor_loss"].as_f64().unwrap(),
        tol,
        1.0,
        "actor loss",
    );
    let mut gin = vec![T::zero(); batch * (obs + act)];
    let mut scratch = vec![T::zero(); critic.n_params()];
    critic
        .backward(
            &mut cc,
            &vec![T::of(-1.0 / batch as f64); batch],
            &mut scratch,
            Some(&mut gin),
        )
        .unwrap();
    let dpi: Vec<T> = (0..batch)
        .flat_map(|b| gin[b * (obs + act) + obs..(b + 1) * (obs + act)].to_vec())
        .collect();
    let mut ga = vec![T::zero(); actor.n_params()];
    actor.backward(&mut ca, &dpi, &mut ga, None).unwrap();
    check_summary(&widen(&ga), &g["actor_grad"], tol, "actor grad");
}

#[test]
fn ddpg_actor_and_critic_gradients_match_pytorch() {
    ddpg_case::<f64>(TOL_F64);
}

#[test]
fn ddpg_actor_and_critic_gradients_match_pytorch_in_f32() {
    ddpg_case::<f32>(TOL_F32);
}

#[test]
fn ncap_forward_and_clamp_gradients_match_pytorch() {
    let gd = golden();
    for (k, case) in gd["ncap"].as_array().unwrap().iter().enumerate() {
        // torch 2.15 uses the minimum-norm subgradient 0 at a clamp's bound
        let cfg = NcapConfig {
            boundary_grad: BoundaryGrad::Exclusive,
            ..NcapConfig::from_code(case["code"].as_str().unwrap()).unwrap()
        };
        let ncap = Ncap::with_params(cfg, 5, Some(vecf(&case["params"]))).unwrap();
        let joints = vecf(&case["joints"]);
        let t = case["t"].as_u64().unwrap() as usize;
        let mut out = [0.0; 5];
        let mut tr = NcapTrace::default();
        ncap.forward(&joints, t, &mut out, &mut tr);
        for (i, (a, b)) in out.iter().zip(vecf(&case["torque"])).enumerate() {
            close(*a, b, &format!("case {k} torque[{i}]"));
        }
        let mut grad = vec![0.0; ncap.n_params()];
        ncap.backward(&tr, &fill(5, 1.1, 0.7, 1.0), &mut grad);
        for (i, (a, b)) in grad.iter().zip(vecf(&case["grad"])).enumerate() {
            close(
                *a,
                b,
                &format!("case {k} grad[{i}] ({})", ncap.param_names()[i].0),
            );
        }
    }
}
