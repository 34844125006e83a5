//! NCAP: the trained swimmer with its raster, learning curves, efficiency, transfer, ablations,
//! the target task, and one row per claim of the paper with its verdict (from
//! `nc_ncap::experiments::claims`).

use crate::html::{Figure, escape, table};
use crate::{PartContext, PartError, Preset, Section};
use nc_core::shard::Shard;
use nc_ncap::es::EsSettings;
use nc_ncap::experiments::Preset as NcapPreset;
use nc_ncap::experiments::ablations::{self, AblationRow};
use nc_ncap::experiments::claims::{Claim, mlp_learned};
use nc_ncap::experiments::curves::{self, EfficiencyRow};
use nc_ncap::experiments::navigate::{self, NavigateRow};
use nc_ncap::experiments::raster::{self, RasterOptions};
use nc_ncap::experiments::render::{self, RenderOptions};
use nc_ncap::experiments::transfer::{self, TransferRow};
use nc_ncap::experiments::unit::{Algo, ModelKind};
use nc_ncap::experiments::{Experiment, SweepOptions, SweepProgress};
use nc_swimmer::SwimConfig;
use std::fmt::Write;
use std::path::Path;

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, PartError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))?)
}

fn preset_of(p: Preset) -> NcapPreset {
    match p {
        Preset::Quick => NcapPreset::Quick,
        Preset::Medium => NcapPreset::Medium,
        Preset::Full => NcapPreset::Full,
    }
}

fn sentences(claims: &[&Claim]) -> String {
    claims
        .iter()
        .map(|c| format!("{}: {}. {}", c.claim, c.ours, c.verdict.sentence()))
        .collect::<Vec<_>>()
        .join(" ")
}

// "NCAP", or "MLP 64×64" with the size the row compares
fn policy_label(r: &EfficiencyRow) -> String {
    match r.model {
        ModelKind::Ncap => "NCAP".into(),
        _ => format!(
            "MLP {}",
            curves::hidden_name(&r.mlp_hidden).replace('x', "×")
        ),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or("not reached".into(), |x| format!("{x:.0}"))
}

pub(super) fn run(ctx: &mut PartContext<'_>) -> Result<Section, PartError> {
    let preset = preset_of(ctx.preset);
    let s = EsSettings::SCRIPT;
    let opts = |out: &Path| SweepOptions {
        out: out.to_path_buf(),
        shard: Shard::ALL,
        preset,
        seeds: None,
        steps: None,
        mlp_hidden: None,
        force: false,
    };
    let sizes = |algo: Algo| {
        curves::mlp_sizes(&opts(&ctx.dir), algo)
            .iter()
            .map(|h| curves::hidden_name(h).replace('x', "×"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let mut html = String::new();
    let _ = writeln!(
        html,
        "<p>A planar swimmer (6 links, 5 joints; physics matched to MuJoCo's dm_control swimmer) driven by \
         NCAP, the C. elegans locomotion circuit with 4 signed, shared weights, compared with MLP policies. \
         Budgets here are the {} preset ({} seeds; ES {} steps, PPO {}, DDPG {}); the paper's are 10⁷ steps and 10 seeds. {}</p>",
        preset.name(),
        preset.seeds(),
        preset.curve_steps(Algo::Es),
        preset.curve_steps(Algo::Ppo),
        preset.curve_steps(Algo::Ddpg),
        escape(preset.caveat().unwrap_or(""))
    );
    let _ = writeln!(
        html,
        "<p>Fair comparison: under each algorithm NCAP and the MLP train with the same settings, budget and test protocol. \
         For ES both use the estorch script's settings (population {}, σ {}, Adam lr {}, weight decay {}, gradient clamp {}). \
         The MLPs are {} (ES), {} (PPO: both of the references' sizes, Tonic's and the paper's videos') and {} (DDPG); every run's <code>spec.json</code> and <code>config.json</code> record them.</p>",
        s.population,
        s.sigma,
        s.lr,
        s.weight_decay,
        s.grad_clip,
        sizes(Algo::Es),
        sizes(Algo::Ppo),
        sizes(Algo::Ddpg)
    );

    // 1. a trained NCAP swimming, beside its neuron raster
    (ctx.progress)(0.0, "training NCAP for the raster and animation");
    let rdir = ctx.dir.join("raster");
    let rec = raster::run(
        &RasterOptions {
            out: rdir.clone(),
            policy: None,
            preset,
            seed: ctx.seed,
            steps: 300,
        },
        &mut |_| {},
    )?;
    // the animation with its neuron readout beside the body, as `ncap render` draws it
    let steps = 200;
    let ret = render::run(&RenderOptions {
        policy: Some(nc_ncap::policy_file::policy_path(&rdir.join("train"))),
        n_bodies: SwimConfig::default().n_bodies,
        seed: ctx.seed,
        steps,
        stride: 2,
        out: ctx.dir.join("render"),
    })?;
    let weights: Vec<(String, f64)> = read(&rdir.join("weights.json"))?;
    let wtext: Vec<String> = weights
        .iter()
        .map(|(n, w)| format!("{n} = {w:.2}"))
        .collect();
    let fast = EsSettings::NCAP_FAST;
    html.push_str(
        &Figure {
            src: "ncap/render/swimmer.gif".into(),
            alt: format!("Animation of the trained 6-link NCAP swimmer undulating and moving forward over {steps} control steps ({:.0} s), with a bar readout of its oscillator, B-neurons and muscles per joint.", steps as f64 * 0.03),
            caption: format!("NCAP after {} steps of ES (σ {}, lr {}: larger steps suit its 4 weights; no MLP is compared here), weights {}, with each joint's dorsal and ventral B-neurons (Bd, Bv) and muscles (Md, Mv), head first. Return over these {steps} steps: {ret:.1}; over the first 300 steps of the raster's episode: {:.1}.", preset.ncap_steps(), fast.sigma, fast.lr, wtext.join(", "), rec.reward),
        }
        .html(),
    );
    html.push_str(
        &Figure {
            src: "ncap/render/filmstrip.svg".into(),
            alt: "Successive poses of the trained NCAP swimmer overlaid, older ones fainter, with the path of its centre.".into(),
            caption: "The same swim as a still: poses overlaid in time, with the path of the centre of mass.".into(),
        }
        .html(),
    );
    html.push_str(
        &Figure {
            src: "ncap/raster/raster.svg".into(),
            alt: "Heatmap of NCAP neuron activity over time: oscillator, B-neurons and muscles of each joint.".into(),
            caption: "Neuron activity over time. The head oscillator's square wave (period 60 steps) starts a bend that the B-neurons pass from head to tail, each driven by the anterior joint's angle: a travelling wave, as the circuit was designed.".into(),
        }
        .html(),
    );
    html.push_str(
        &Figure {
            src: "ncap/raster/weights.svg".into(),
            alt: "Bar chart of the trained NCAP's four weights.".into(),
            caption: "The learned weights. Excitatory weights stay ≥ 0 and the inhibitory one ≤ 0 (signs are enforced in the forward pass).".into(),
        }
        .html(),
    );

    // 2. learning curves, efficiency and the curve claims
    (ctx.progress)(0.2, "learning curves");
    let cdir = ctx.dir.join("curves");
    curves::run(
        &opts(&cdir),
        Experiment::Curves,
        &mut within(ctx.progress, (0.2, 0.6), "learning curves"),
    )?;
    let eff: Vec<EfficiencyRow> = read(&cdir.join("efficiency.json"))?;
    let mut claims: Vec<Claim> = read(&cdir.join("claims.json"))?;
    for algo in Algo::ALL {
        let file = format!("curves_{}.svg", algo.name());
        if !cdir.join(&file).exists() {
            continue;
        }
        let mine: Vec<&Claim> = claims
            .iter()
            .filter(|c| c.key.starts_with(&format!("{}/", algo.name())))
            .collect();
        html.push_str(
            &Figure {
                src: format!("ncap/curves/{file}"),
                alt: format!("Learning curves for {}: test return against environment steps, NCAP and MLP, mean with a band over seeds and a marker at each test.", algo.name().to_uppercase()),
                caption: sentences(&mine),
            }
            .html(),
        );
    }
    // NCAP and the MLP after the same ES budget (seed 0 of the curves), side by side
    let es_steps = preset.curve_steps(Algo::Es);
    let mut gaits = Vec::new();
    for (model, unit) in [("ncap", "es-ncap111-n6-s0"), ("mlp", "es-mlp-n6-s0")] {
        let udir = cdir.join("units").join(unit);
        if !udir.exists() {
            continue;
        }
        let ret = render::run(&RenderOptions {
            policy: Some(nc_ncap::policy_file::policy_path(&udir)),
            n_bodies: SwimConfig::default().n_bodies,
            seed: ctx.seed,
            steps: 200,
            stride: 2,
            out: ctx.dir.join("gaits").join(model),
        })?;
        let (what, readout) = match model {
            "ncap" => ("NCAP", "its oscillator, B-neurons and muscles"),
            _ => (
                "The MLP",
                "each joint's torque (a+ positive, a− negative part)",
            ),
        };
        gaits.push(
            Figure {
                src: format!("ncap/gaits/{model}/swimmer.gif"),
                alt: format!("Animation of the 6-link swimmer driven by {what} after {es_steps} steps of ES, with a bar readout of {readout}."),
                caption: format!("{what} after {es_steps} steps of ES (seed 0 of the curves, the estorch script's settings for both). Return over these 200 steps: {ret:.1}."),
            }
            .html(),
        );
    }
    if !gaits.is_empty() {
        html.push_str("<p>The two gaits at the same budget:</p>\n<div style=\"display:flex;flex-wrap:wrap;gap:1em\">\n");
        for g in gaits {
            html.push_str(&g);
        }
        html.push_str("</div>\n");
    }
    let rows: Vec<Vec<String>> = eff
        .iter()
        .map(|r| {
            let mut row = vec![
                r.algo.name().to_uppercase(),
                policy_label(r),
                r.n_params.to_string(),
                format!("{:.0}", r.initial),
            ];
            row.extend(r.at_steps.iter().map(|a| opt(a.mean)));
            row.push(format!("{:.0} at {} steps", r.final_return, r.budget));
            row.push(
                r.steps_to_ncap_initial
                    .map_or("not reached".into(), |s| s.to_string()),
            );
            row
        })
        .collect();
    html.push_str(
        "<p>Data efficiency and size (parameters are the actor's; returns are seed means, read between tests by linear interpolation; \
         \"not reached\" where the budget stops earlier):</p>\n",
    );
    html.push_str(&table(
        &[
            "algorithm",
            "policy",
            "parameters",
            "initial return",
            "return at 10⁴ steps",
            "return at 10⁵ steps",
            "return at 10⁶ steps",
            "final return",
            "steps to reach NCAP's initial return",
        ],
        &rows,
    ));
    // the final gap per algorithm, said as the paper says it
    let mut gaps = Vec::new();
    for algo in Algo::ALL {
        let Some(n) = eff
            .iter()
            .find(|r| r.algo == algo && r.model == ModelKind::Ncap)
        else {
            continue;
        };
        for m in eff
            .iter()
            .filter(|r| r.algo == algo && r.model == ModelKind::Mlp)
        {
            gaps.push(format!(
                "{}: NCAP {:.0}, {} {:.0} (gap {:+.0}; the MLP {})",
                algo.name().to_uppercase(),
                n.final_return,
                policy_label(m),
                m.final_return,
                n.final_return - m.final_return,
                if mlp_learned(m.final_return, n.initial) {
                    "has learned: it ends above NCAP's initial return"
                } else {
                    "has not learned: it ends below NCAP's initial return"
                }
            ));
        }
    }
    let _ = writeln!(
        html,
        "<p>At the end of training ({}): {}. The paper claims NCAP's asymptotic performance is comparable to the MLP's, not better.</p>",
        preset.name(),
        escape(&gaps.join("; "))
    );

    // 3. transfer to other body lengths
    (ctx.progress)(0.6, "transfer");
    let tdir = ctx.dir.join("transfer");
    transfer::run(
        &opts(&tdir),
        &mut within(ctx.progress, (0.6, 0.8), "transfer"),
    )?;
    let trows: Vec<TransferRow> = read(&tdir.join("transfer.json"))?;
    let tclaims: Vec<Claim> = read(&tdir.join("claims.json"))?;
    let facts: Vec<String> = trows
        .iter()
        .map(|r| {
            format!(
                "{} links: {:.0} untrained, {:.0} trained",
                r.n_bodies, r.untrained_mean, r.trained_mean
            )
        })
        .collect();
    html.push_str(
        &Figure {
            src: "ncap/transfer/transfer.svg".into(),
            alt: "Line chart of NCAP return against the number of body links, untrained and trained on 6 links.".into(),
            caption: format!(
                "The same 4 weights drive bodies of every length ({}). {}",
                facts.join("; "),
                sentences(&tclaims.iter().collect::<Vec<_>>())
            ),
        }
        .html(),
    );

    // 4. ablations
    (ctx.progress)(0.8, "ablations");
    let adir = ctx.dir.join("ablations");
    ablations::run(
        &opts(&adir),
        &mut within(ctx.progress, (0.8, 0.93), "ablations"),
    )?;
    let _: Vec<AblationRow> = read(&adir.join("ablations.json"))?;
    let aclaims: Vec<Claim> = read(&adir.join("claims.json"))?;
    html.push_str(
        &Figure {
            src: "ncap/ablations/ablations.svg".into(),
            alt: "Bar chart of initial and final return for each combination of weight sharing, sign constraints and initialisation, and for the default circuit without its head oscillator, its proprioception or its muscle cross-inhibition.".into(),
            caption: format!(
                "Ablations, trained by ES with the settings suited to NCAP's few weights, all at the same budget; the last three bars remove one component of the default circuit. {}",
                sentences(&aclaims.iter().collect::<Vec<_>>())
            ),
        }
        .html(),
    );

    // 5. the target task, which the paper does not evaluate: no claim, no verdict
    (ctx.progress)(0.93, "target task");
    let ndir = ctx.dir.join("navigate");
    navigate::run(
        &opts(&ndir),
        &mut within(ctx.progress, (0.93, 1.0), "target task"),
    )?;
    let nrows: Vec<NavigateRow> = read(&ndir.join("navigate.json"))?;
    for (algo, name, how) in [
        (Algo::Es, "ES", "by ES with the script's settings"),
        (
            Algo::Ppo,
            "PPO",
            "by PPO with Tonic's settings (its test returns sample actions, as Tonic's do)",
        ),
    ] {
        let facts: Vec<String> = nrows
            .iter()
            .filter(|r| r.algo == algo)
            .map(|r| {
                format!(
                    "{} ({} weights) {:.0} → {:.0}",
                    r.label, r.n_params, r.initial_mean, r.final_mean
                )
            })
            .collect();
        html.push_str(
            &Figure {
                src: format!("ncap/navigate/navigate_{}.svg", algo.name()),
                alt: format!("Bar chart of initial and final return on the target task, trained by {name}, for NCAP with the fixed steering rule, NCAP with a learned steering controller, NCAP without steering and the MLP, with a dot per seed."),
                caption: format!(
                    "The target task (dm_control's swimmer: reach a ball placed at random), which the reference code sets up and its paper never evaluates, so no verdict is drawn. NCAP gets the reference's descending inputs: a brake on every B-neuron and a turn drive on the head joint, from its fixed rule or a learned linear controller. All train {how} at the same budget; mean test return, initial → final: {}.",
                    facts.join("; ")
                ),
            }
            .html(),
        );
        for (model, what) in [
            ("ncap-steer", "NCAP with the fixed steering rule"),
            ("mlp", "the MLP"),
        ] {
            html.push_str(
                &Figure {
                    src: format!("ncap/navigate/trajectories_{}_{model}.svg", algo.name()),
                    alt: format!("The nose's paths towards four targets, for {what} after training by {name}."),
                    caption: format!(
                        "Paths of the nose from the origin towards four test targets (dots), {what} trained by {name}, seed 0 after training, at its mean action."
                    ),
                }
                .html(),
            );
        }
    }

    // 6. one row per claim
    claims.extend(tclaims);
    claims.extend(aclaims);
    let rows: Vec<Vec<String>> = claims
        .iter()
        .map(|c| {
            vec![
                c.claim.clone(),
                c.paper.clone().unwrap_or_else(|| "—".into()),
                c.ours.clone(),
                c.budget.clone(),
                c.verdict.word().to_string(),
            ]
        })
        .collect();
    html.push_str("<p>The paper's claims, one row each (the rules are in <code>nc_ncap::experiments::claims</code>):</p>\n");
    html.push_str(&table(
        &["claim", "paper", "ours", "budget", "verdict"],
        &rows,
    ));
    let _ = writeln!(
        html,
        "<p>Raw results (CSV and JSON, <code>claims.json</code> per experiment) are beside the figures in <code>{}</code>.</p>",
        escape("ncap/")
    );
    Ok(Section { html })
}

// a sweep's progress as the part's fraction in `span`: units done, plus the running unit's
// share of its step budget (units differ in cost, so this is a guide, not a clock)
fn within<'a>(
    progress: &'a (dyn Fn(f64, &str) + Sync),
    (from, to): (f64, f64),
    what: &'a str,
) -> impl FnMut(&SweepProgress) + 'a {
    move |p| {
        let unit = p.train.steps as f64 / p.train.max_steps.max(1) as f64;
        let f = (p.unit as f64 + unit.min(1.0)) / p.units.max(1) as f64;
        progress(
            from + (to - from) * f.min(1.0),
            &format!("{what}: {}", p.name),
        );
    }
}
