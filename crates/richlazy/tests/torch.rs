//! BPTT, tangent kernels and optimisers against PyTorch (float64).

use nc_richlazy::kernel::{KernelParams, tangent_kernel};
use nc_richlazy::model::{Activation, Rnn, Tape};
use nc_richlazy::optim::{Optimizer, OptimizerConfig};
use nc_richlazy::tasks::LossSteps;
use serde_json::Value;

struct Case {
    net: Rnn<f64>,
    x: Vec<f64>,
    labels: Vec<u32>,
    v: Value,
}

fn vecf(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn cases() -> (Value, Vec<Case>) {
    let r: Value = serde_json::from_str(include_str!("data/torch_golden.json")).unwrap();
    let (n_in, n, n_out) = (
        r["n_in"].as_u64().unwrap() as usize,
        r["n"].as_u64().unwrap() as usize,
        r["n_out"].as_u64().unwrap() as usize,
    );
    let cs = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let act = if c["act"] == "relu" {
                Activation::Relu
            } else {
                Activation::Tanh
            };
            let net = Rnn {
                n_in,
                n,
                n_out,
                alpha: c["alpha"].as_f64().unwrap(),
                act,
                w_in: vecf(&c["w_in"]),
                w_h: vecf(&c["w_h"]),
                w_out: vecf(&c["w_out"]),
            };
            Case {
                net,
                x: vecf(&c["x"]),
                labels: c["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_u64().unwrap() as u32)
                    .collect(),
                v: c.clone(),
            }
        })
        .collect();
    (r, cs)
}

fn close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    let scale = b.iter().map(|v| v.abs()).fold(1e-300, f64::max);
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= tol * scale,
        "{what}: worst abs diff {worst:e} (scale {scale:e})"
    );
}

#[test]
fn loss_and_gradients_match_pytorch() {
    let (r, cs) = cases();
    let (steps, batch) = (
        r["steps"].as_u64().unwrap() as usize,
        r["batch"].as_u64().unwrap() as usize,
    );
    for c in &cs {
        let mut tape = Tape::default();
        let mut g = c.net.zero_grads();
        let loss = c
            .net
            .loss_and_grads(
                &c.x,
                &c.labels,
                steps,
                batch,
                LossSteps::All,
                &mut tape,
                &mut g,
            )
            .unwrap();
        assert!((loss - c.v["loss"].as_f64().unwrap()).abs() < 1e-12);
        close(&g.w_in, &vecf(&c.v["grad_w_in"]), 1e-10, "dW_in");
        close(&g.w_h, &vecf(&c.v["grad_w_h"]), 1e-10, "dW_h");
        close(&g.w_out, &vecf(&c.v["grad_w_out"]), 1e-10, "dW_out");
        // the f32 path agrees to single precision
        let n32 = c.net.cast::<f32>();
        let x32: Vec<f32> = c.x.iter().map(|&v| v as f32).collect();
        let mut t32 = Tape::default();
        let mut g32 = n32.zero_grads();
        n32.loss_and_grads(
            &x32,
            &c.labels,
            steps,
            batch,
            LossSteps::All,
            &mut t32,
            &mut g32,
        )
        .unwrap();
        let gh: Vec<f64> = g32.w_h.iter().map(|&v| f64::from(v)).collect();
        close(&gh, &vecf(&c.v["grad_w_h"]), 1e-5, "dW_h f32");
    }
}

#[test]
fn tangent_kernels_match_pytorch_jacobians() {
    let (r, cs) = cases();
    let (steps, batch) = (
        r["steps"].as_u64().unwrap() as usize,
        r["batch"].as_u64().unwrap() as usize,
    );
    let out: Vec<usize> = (0..steps).collect();
    for c in &cs {
        let k = tangent_kernel(&c.net, &c.x, steps, batch, &out, KernelParams::Recurrent).unwrap();
        close(&k.k, &vecf(&c.v["kernel_w_h"]), 1e-10, "K(W_h)");
        let k = tangent_kernel(&c.net, &c.x, steps, batch, &out, KernelParams::All).unwrap();
        close(&k.k, &vecf(&c.v["kernel_all"]), 1e-10, "K(all)");
        let k32 = tangent_kernel(
            &c.net.cast::<f32>(),
            &c.x.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            steps,
            batch,
            &out,
            KernelParams::Recurrent,
        )
        .unwrap();
        close(&k32.k, &vecf(&c.v["kernel_w_h"]), 1e-5, "K(W_h) f32");
    }
}

#[test]
fn optimisers_follow_pytorch_conventions() {
    let (r, cs) = cases();
    let (steps, batch) = (
        r["steps"].as_u64().unwrap() as usize,
        r["batch"].as_u64().unwrap() as usize,
    );
    for c in &cs {
        for (key, cfg) in [
            (
                "sgd3",
                OptimizerConfig::Sgd {
                    lr: 0.1,
                    momentum: 0.9,
                },
            ),
            (
                "adam3",
                OptimizerConfig::Adam {
                    lr: 0.01,
                    beta1: 0.9,
                    beta2: 0.999,
                    eps: 1e-8,
                },
            ),
        ] {
            let mut net = c.net.clone();
            let mut opt = Optimizer::new(cfg, &net);
            let mut tape = Tape::default();
            let mut g = net.zero_grads();
            for _ in 0..3 {
                net.loss_and_grads(
                    &c.x,
                    &c.labels,
                    steps,
                    batch,
                    LossSteps::All,
                    &mut tape,
                    &mut g,
                )
                .unwrap();
                opt.step(&mut net, &g);
            }
            let want = c.v[key].as_array().unwrap();
            close(&net.w_in, &vecf(&want[0]), 1e-10, key);
            close(&net.w_h, &vecf(&want[1]), 1e-10, key);
            close(&net.w_out, &vecf(&want[2]), 1e-10, key);
        }
    }
}
