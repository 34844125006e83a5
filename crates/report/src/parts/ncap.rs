//! NCAP: the trained swimmer with its raster, learning curves, efficiency, transfer, ablations.

use super::verdict;
use crate::html::{Figure, escape, table};
use crate::{PartContext, PartError, Preset, Section};
use nc_core::shard::Shard;
use nc_ncap::experiments::ablations::{self, AblationRow};
use nc_ncap::experiments::curves::{self, EfficiencyRow};
use nc_ncap::experiments::raster::{self, RasterOptions};
use nc_ncap::experiments::render::{self, RenderOptions};
use nc_ncap::experiments::transfer::{self, TransferRow};
use nc_ncap::experiments::unit::ModelKind;
use nc_ncap::experiments::{Experiment, SweepOptions};
use nc_swimmer::SwimConfig;
use std::fmt::Write;
use std::path::Path;

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, PartError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))?)
}

pub(super) fn run(ctx: &mut PartContext<'_>) -> Result<Section, PartError> {
    let quick = ctx.preset == Preset::Quick;
    let mut html = String::new();
    html.push_str(
        "<p>A planar swimmer (6 links, 5 joints; physics matched to MuJoCo's dm_control swimmer) driven by \
         NCAP, the C. elegans locomotion circuit with 4 signed, shared weights, compared with MLP policies. \
         Budgets here are the quick preset; the paper's are 10⁷ steps and 10 seeds.</p>\n",
    );

    // 1. a trained NCAP swimming, beside its neuron raster
    (ctx.progress)(0.0, "training NCAP for the raster and animation");
    let rdir = ctx.dir.join("raster");
    let rec = raster::run(
        &RasterOptions {
            out: rdir.clone(),
            policy: None,
            quick,
            seed: ctx.seed,
            steps: 300,
        },
        &mut |_| {},
    )?;
    // the animation with its neuron readout beside the body, as `ncap render` draws it
    let steps = 200;
    let ret = render::run(&RenderOptions {
        policy: Some(rdir.join("train").join("policy.json")),
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
    html.push_str(
        &Figure {
            src: "ncap/render/swimmer.gif".into(),
            alt: format!("Animation of the trained 6-link NCAP swimmer undulating and moving forward over {steps} control steps ({:.0} s), with a bar readout of its oscillator, B-neurons and muscles per joint.", steps as f64 * 0.03),
            caption: format!("The ES-trained NCAP swimmer (weights {}), with each joint's dorsal and ventral B-neurons (Bd, Bv) and muscles (Md, Mv), head first. Return over these {steps} steps: {ret:.1}; over the first 300 steps of the raster's episode: {:.1}.", wtext.join(", "), rec.reward),
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

    // 2. learning curves and efficiency
    (ctx.progress)(0.2, "learning curves");
    let cdir = ctx.dir.join("curves");
    let opts = |out: &Path| SweepOptions {
        out: out.to_path_buf(),
        shard: Shard::ALL,
        quick,
        seeds: None,
        steps: None,
        force: false,
    };
    curves::run(&opts(&cdir), Experiment::Curves, &mut |_| {})?;
    let eff: Vec<EfficiencyRow> = read(&cdir.join("efficiency.json"))?;
    for algo in ["es", "ppo", "ddpg"] {
        let file = format!("curves_{algo}.svg");
        if !cdir.join(&file).exists() {
            continue;
        }
        let rows: Vec<&EfficiencyRow> = eff.iter().filter(|r| r.algo.name() == algo).collect();
        let find = |m: ModelKind| rows.iter().find(|r| r.model == m);
        let caption = match (find(ModelKind::Ncap), find(ModelKind::Mlp)) {
            (Some(n), Some(m)) => format!(
                "{}: NCAP starts at {:.0} and ends at {:.0}; the MLP starts at {:.0} and ends at {:.0}. The paper claims NCAP starts far higher and learns with far fewer samples. {}",
                algo.to_uppercase(),
                n.initial,
                n.final_return,
                m.initial,
                m.final_return,
                verdict(n.initial > m.initial && n.final_return >= 0.9 * m.final_return)
            ),
            _ => format!(
                "{}: test return against environment steps.",
                algo.to_uppercase()
            ),
        };
        html.push_str(
            &Figure {
                src: format!("ncap/curves/{file}"),
                alt: format!("Learning curves for {}: test return against environment steps on a log axis, NCAP and MLP, mean with a band over seeds.", algo.to_uppercase()),
                caption,
            }
            .html(),
        );
    }
    let rows: Vec<Vec<String>> = eff
        .iter()
        .map(|r| {
            vec![
                r.algo.name().to_uppercase(),
                r.model.name().to_string(),
                r.n_params.to_string(),
                format!("{:.0}", r.initial),
                format!("{:.0}", r.final_return),
                r.steps_to_90pct_mlp
                    .map_or("not reached".into(), |s| s.to_string()),
            ]
        })
        .collect();
    html.push_str("<p>Data efficiency and size (parameters are the actor's):</p>\n");
    html.push_str(&table(
        &[
            "algorithm",
            "policy",
            "parameters",
            "initial return",
            "final return",
            "steps to 90% of MLP final",
        ],
        &rows,
    ));

    // 3. transfer to other body lengths
    (ctx.progress)(0.6, "transfer");
    let tdir = ctx.dir.join("transfer");
    transfer::run(&opts(&tdir), &mut |_| {})?;
    let trows: Vec<TransferRow> = read(&tdir.join("transfer.json"))?;
    let longer_ok = trows
        .iter()
        .filter(|r| r.n_bodies >= 6)
        .all(|r| r.untrained_mean > 500.0);
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
            caption: format!("The same 4 weights drive bodies of every length ({}). The paper claims NCAP transfers to new bodies without retraining. {}", facts.join("; "), verdict(longer_ok)),
        }
        .html(),
    );

    // 4. ablations
    (ctx.progress)(0.8, "ablations");
    let adir = ctx.dir.join("ablations");
    ablations::run(&opts(&adir), &mut |_| {})?;
    let arows: Vec<AblationRow> = read(&adir.join("ablations.json"))?;
    let mean_of = |f: &dyn Fn(&AblationRow) -> bool, g: &dyn Fn(&AblationRow) -> f64| {
        let v: Vec<f64> = arows.iter().filter(|r| f(r)).map(g).collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let signed = mean_of(&|r| r.signs, &|r| r.final_mean);
    let unsigned = mean_of(&|r| !r.signs, &|r| r.final_mean);
    let constant0 = mean_of(&|r| r.constant_init && r.signs, &|r| r.initial_mean);
    let uniform0 = mean_of(&|r| !r.constant_init && r.signs, &|r| r.initial_mean);
    html.push_str(
        &Figure {
            src: "ncap/ablations/ablations.svg".into(),
            alt: "Bar chart of initial and final return for each combination of weight sharing, sign constraints and initialisation.".into(),
            caption: format!(
                "Ablations. Mean final return with sign constraints {signed:.0}, without {unsigned:.0}; mean initial return of signed circuits with constant init {constant0:.0}, with uniform init {uniform0:.0}. The paper claims the signs are crucial for learning and the init mainly sets the starting point. {}",
                verdict(signed > unsigned && constant0 > uniform0)
            ),
        }
        .html(),
    );
    let _ = writeln!(
        html,
        "<p>Raw results (CSV and JSON) are beside the figures in <code>{}</code>.</p>",
        escape("ncap/")
    );
    Ok(Section { html })
}
