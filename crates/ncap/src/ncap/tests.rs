use super::*;
use rand::RngExt;

fn angles(rng: &mut impl Rng, n: usize) -> Vec<f64> {
    let lim = 2.0 * std::f64::consts::PI / (n as f64 + 1.0);
    (0..n)
        .map(|_| rng.random_range(-1.3 * lim..1.3 * lim))
        .collect()
}

#[test]
fn parameter_counts_match_the_reference() {
    let shared = Ncap::default_for(5).unwrap();
    assert_eq!(shared.n_params(), 4);
    assert_eq!(shared.params(), &[1.0, 1.0, 1.0, -1.0]);
    let cfg = NcapConfig {
        sharing: false,
        ..NcapConfig::default()
    };
    let mut rng = nc_core::rng::stream(1, "t", 0);
    for n in [3, 5, 13] {
        assert_eq!(
            Ncap::new(cfg.clone(), n, &mut rng).unwrap().n_params(),
            6 * n
        );
    }
    let no_osc = NcapConfig {
        oscillator: false,
        proprioception: false,
        ..NcapConfig::default()
    };
    assert_eq!(Ncap::new(no_osc, 5, &mut rng).unwrap().n_params(), 2);
}

#[test]
fn default_init_is_square_wave_head_and_copying_body() {
    // the circuit at init: a_0 = ±1 square wave of period 60, a_i = q̂_{i−1}
    let ncap = Ncap::default_for(5).unwrap();
    let mut rng = nc_core::rng::stream(2, "t", 0);
    let mut out = [0.0; 5];
    for t in 0..200 {
        let q = angles(&mut rng, 5);
        ncap.act(&q, t, &mut out);
        let head = if t % 60 < 30 { 1.0 } else { -1.0 };
        assert_eq!(out[0], head, "t={t}");
        for i in 1..5 {
            assert!((out[i] - normalised_angle(q[i - 1], 5)).abs() < 1e-15);
        }
    }
}

#[test]
fn contralateral_weight_is_inert_in_the_swim_task() {
    // b_d and b_v are never both non-zero, so w_contra lands in the clamped region
    let mut rng = nc_core::rng::stream(3, "t", 0);
    for _ in 0..100 {
        let p: Vec<f64> = vec![
            rng.random_range(0.0..2.5),
            rng.random_range(0.0..2.5),
            rng.random_range(0.0..2.5),
            -1.0,
        ];
        let a = Ncap::with_params(NcapConfig::default(), 5, Some(p.clone())).unwrap();
        let mut p2 = p.clone();
        p2[3] = rng.random_range(-3.0..0.0);
        let b = Ncap::with_params(NcapConfig::default(), 5, Some(p2)).unwrap();
        let q = angles(&mut rng, 5);
        let t = rng.random_range(0..1000);
        let (mut oa, mut ob) = ([0.0; 5], [0.0; 5]);
        let mut tr = NcapTrace::default();
        a.forward(&q, t, &mut oa, &mut tr);
        b.act(&q, t, &mut ob);
        assert_eq!(oa, ob);
        let mut g = [0.0; 4];
        a.backward(&tr, &[1.0, -0.5, 0.3, 2.0, -1.0], &mut g);
        assert_eq!(g[3], 0.0);
    }
}

#[test]
fn effective_three_parameter_form() {
    // head amplitude min(1, w_ipsi·min(1, w_osc)); body sign(q̂)·min(1, w_ipsi·min(1, w_prop|q̂|))
    let mut rng = nc_core::rng::stream(4, "t", 0);
    for _ in 0..200 {
        let (wp, wo, wi) = (
            rng.random_range(0.0..3.0),
            rng.random_range(0.0..3.0),
            rng.random_range(0.0..3.0),
        );
        let n = rng.random_range(2..14);
        let ncap =
            Ncap::with_params(NcapConfig::default(), n, Some(vec![wp, wo, wi, -0.7])).unwrap();
        let q = angles(&mut rng, n);
        let t = rng.random_range(0..1000);
        let mut out = vec![0.0; n];
        ncap.act(&q, t, &mut out);
        let head = (wi * wo.min(1.0)).min(1.0) * if t % 60 < 30 { 1.0 } else { -1.0 };
        assert!((out[0] - head).abs() < 1e-12);
        for i in 1..n {
            let qh = normalised_angle(q[i - 1], n);
            let want = qh.signum() * (wi * (wp * qh.abs()).min(1.0)).min(1.0);
            assert!((out[i] - want).abs() < 1e-12, "{} vs {want}", out[i]);
        }
    }
}

#[test]
fn sign_clamp_kills_wrong_signed_weights_and_their_gradient() {
    let ncap =
        Ncap::with_params(NcapConfig::default(), 5, Some(vec![-0.5, 1.0, 1.0, -1.0])).unwrap();
    let q = [0.5, -0.4, 0.3, 0.2, -0.1];
    let mut out = [0.0; 5];
    let mut tr = NcapTrace::default();
    ncap.forward(&q, 0, &mut out, &mut tr);
    assert_eq!(&out[1..], &[0.0; 4]);
    let mut g = [0.0; 4];
    ncap.backward(&tr, &[1.0; 5], &mut g);
    assert_eq!(g[0], 0.0);
    // unsigned: the same weight inverts the wave instead
    let cfg = NcapConfig {
        signs: false,
        ..NcapConfig::default()
    };
    let un = Ncap::with_params(cfg, 5, Some(vec![-0.5, 1.0, 1.0, -1.0])).unwrap();
    un.act(&q, 0, &mut out);
    assert!(out[1..].iter().all(|&a| a == 0.0 || a.abs() > 0.0));
}

#[test]
fn backward_matches_central_differences() {
    let mut rng = nc_core::rng::stream(5, "t", 0);
    for code in [
        "111",
        "011",
        "101",
        "001",
        "110",
        "000",
        "111-nocross",
        "011-nocross",
        "111-noosc",
        "011-noprop",
    ] {
        let cfg = NcapConfig::from_code(code).unwrap();
        for _ in 0..20 {
            let n = 5;
            let mut ncap = Ncap::new(cfg.clone(), n, &mut rng).unwrap();
            // magnitudes in (0.2, 1.5) keep clamps away from their kinks
            for p in ncap.params_mut() {
                *p = p.signum() * rng.random_range(0.2..1.5);
            }
            let q = angles(&mut rng, n);
            let t = rng.random_range(0..200);
            let gout: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let loss = |m: &Ncap| {
                let mut o = vec![0.0; n];
                m.act(&q, t, &mut o);
                o.iter().zip(&gout).map(|(a, b)| a * b).sum::<f64>()
            };
            let mut tr = NcapTrace::default();
            let mut o = vec![0.0; n];
            ncap.forward(&q, t, &mut o, &mut tr);
            let mut g = vec![0.0; ncap.n_params()];
            ncap.backward(&tr, &gout, &mut g);
            for k in 0..ncap.n_params() {
                let h = 1e-6;
                let mut a = ncap.clone();
                a.params_mut()[k] += h;
                let mut b = ncap.clone();
                b.params_mut()[k] -= h;
                let fd = (loss(&a) - loss(&b)) / (2.0 * h);
                // a kink within h of the point shows up as a half-slope: skip those rare cases
                if (fd - g[k]).abs() > 1e-6 {
                    let (la, l0, lb) = (loss(&a), loss(&ncap), loss(&b));
                    let one_sided = ((la - l0) / h - (l0 - lb) / h).abs();
                    assert!(
                        one_sided > 1e-3,
                        "code {code} param {k}: fd {fd} vs {}",
                        g[k]
                    );
                }
            }
        }
    }
}

#[test]
fn init_draws_follow_the_reference_distributions() {
    let mut rng = nc_core::rng::stream(6, "t", 0);
    let un = Ncap::new(
        NcapConfig {
            sharing: false,
            ..NcapConfig::from_code("001").unwrap()
        },
        5,
        &mut rng,
    )
    .unwrap();
    assert!(un.params().iter().all(|p| p.abs() == 1.0));
    assert!(un.params().iter().any(|&p| p > 0.0) && un.params().iter().any(|&p| p < 0.0));
    let signed_uniform = Ncap::new(NcapConfig::from_code("010").unwrap(), 5, &mut rng).unwrap();
    for (p, (_, s)) in signed_uniform
        .params()
        .iter()
        .zip(signed_uniform.param_names())
    {
        match s {
            Sign::Excitatory => assert!((0.0..1.0).contains(p)),
            Sign::Inhibitory => assert!((-1.0..=0.0).contains(p)),
            Sign::Free => unreachable!("no steering here"),
        }
    }
}

#[test]
fn shared_weights_transfer_and_unshared_do_not() {
    let ncap = Ncap::default_for(5).unwrap();
    for n in [3, 7, 13] {
        let t = ncap.with_joints(n).unwrap();
        assert_eq!(t.params(), ncap.params());
        assert_eq!(t.n_joints(), n);
    }
    let mut rng = nc_core::rng::stream(7, "t", 0);
    let un = Ncap::new(NcapConfig::from_code("011").unwrap(), 5, &mut rng).unwrap();
    assert_eq!(
        un.with_joints(7),
        Err(NcapError::UnsharedTransfer {
            n_joints: 5,
            requested: 7
        })
    );
    assert!(Ncap::default_for(0).is_err());
    assert!(NcapConfig::from_code("12").is_err());
    assert_eq!(NcapConfig::from_code("101").unwrap().code(), "101");
}

#[test]
fn serde_round_trip_checks_the_layout() {
    let ncap =
        Ncap::with_params(NcapConfig::default(), 5, Some(vec![1.5, 0.9, 1.9, -0.3])).unwrap();
    let text = serde_json::to_string(&ncap).unwrap();
    let back: Ncap = serde_json::from_str(&text).unwrap();
    assert_eq!(back, ncap);
    let bad = text.replace("[1.5,0.9,1.9,-0.3]", "[1.5,0.9]");
    assert!(serde_json::from_str::<Ncap>(&bad).is_err());
}

#[test]
fn boundary_subgradient_follows_the_selected_convention() {
    // at the default init the head B-neuron and muscle sit exactly at 1
    let grad_at = |b: BoundaryGrad| {
        let cfg = NcapConfig {
            boundary_grad: b,
            ..NcapConfig::default()
        };
        let ncap = Ncap::with_params(cfg, 5, Some(vec![1.0, 1.0, 1.0, -1.0])).unwrap();
        let mut tr = NcapTrace::default();
        ncap.forward(&[0.0; 5], 0, &mut [0.0; 5], &mut tr);
        let mut g = [0.0; 4];
        ncap.backward(&tr, &[1.0, 0.0, 0.0, 0.0, 0.0], &mut g);
        g
    };
    assert_eq!(grad_at(BoundaryGrad::Inclusive), [0.0, 1.0, 1.0, 0.0]);
    assert_eq!(grad_at(BoundaryGrad::Exclusive), [0.0; 4]);
}

#[test]
fn component_codes_switch_parts_off_and_round_trip() {
    let cfg = NcapConfig::from_code("101-noosc-nocross").unwrap();
    assert!(!cfg.oscillator && cfg.proprioception && !cfg.cross_inhibition && !cfg.signs);
    assert_eq!(cfg.code(), "101-noosc-nocross");
    for bad in ["111-noosc-noosc", "111-", "111-x", "-noosc", "11-noprop"] {
        assert!(NcapConfig::from_code(bad).is_err(), "{bad}");
    }
    // shared: no muscle_contra; unshared: no muscle_d_v_i / muscle_v_d_i
    let nocross = Ncap::new(
        NcapConfig::from_code("111-nocross").unwrap(),
        5,
        &mut rand::rng(),
    )
    .unwrap();
    let names: Vec<&str> = nocross
        .param_names()
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["bneuron_prop", "bneuron_osc", "muscle_ipsi"]);
    let un = NcapConfig::from_code("011-nocross").unwrap();
    assert_eq!(
        Ncap::new(un, 5, &mut rand::rng()).unwrap().n_params(),
        4 * 5
    );
    // a config written before the switch existed reads with cross-inhibition on
    let old: NcapConfig = serde_json::from_str(
        r#"{"sharing":true,"signs":true,"init":"constant","proprioception":true,"oscillator":true,"oscillator_period":60}"#,
    )
    .unwrap();
    assert_eq!(old, NcapConfig::default());
}

#[test]
fn removing_cross_inhibition_changes_nothing_in_the_swim_task() {
    // §1.2 of the research notes: one side's B-neuron is always silent in "swim", so the
    // contralateral term lands in the clamped region; the ablated circuit acts identically
    let mut rng = nc_core::rng::stream(9, "t", 0);
    let nocross = NcapConfig::from_code("111-nocross").unwrap();
    for _ in 0..200 {
        let (wp, wo, wi) = (
            rng.random_range(0.0..2.5),
            rng.random_range(0.0..2.5),
            rng.random_range(0.0..2.5),
        );
        let full = Ncap::with_params(
            NcapConfig::default(),
            5,
            Some(vec![wp, wo, wi, -rng.random_range(0.0..2.5)]),
        )
        .unwrap();
        let abl = Ncap::with_params(nocross.clone(), 5, Some(vec![wp, wo, wi])).unwrap();
        let q = angles(&mut rng, 5);
        let t = rng.random_range(0..200);
        let (mut a, mut b) = ([0.0; 5], [0.0; 5]);
        full.act(&q, t, &mut a);
        abl.act(&q, t, &mut b);
        assert_eq!(a, b);
    }
}
