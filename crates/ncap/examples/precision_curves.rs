//! f32 against f64 learning: reads the runs of `tools/ncap/precision_curves.sh`
//! (`RUNS/{ppo,ddpg}-{f32,f64}-s{seed}/log.csv`), draws one figure per algorithm with every
//! seed's test curve in both precisions, and writes the paired comparison with its verdict.
//!
//! `cargo run --release -p nc-ncap --example precision_curves -- RUNS OUT`
//!
//! The comparison pairs the two precisions of each seed (same initial weights up to rounding,
//! same environment and sampling streams) on two numbers per run: the final test return and
//! the mean test return over all tests after step 0 (the area under the curve). For each, a
//! paired t-test over seeds (two-sided, 5 %) asks whether the mean difference is nonzero. The
//! budget suffices when at least 3 seeds ran and both precisions learned (final return at
//! least 100 above the initial one on average); the claim "f32 and f64 learn alike" holds when
//! neither test rejects.
#![allow(clippy::print_stdout)]

use nc_core::verdict::{Budget, Verdict};
use nc_plot::{Axis, LineSpec, Rgb, Series, line_chart, save_svg};
use std::path::{Path, PathBuf};

// two-sided 5 % critical values of Student's t for 1..=10 degrees of freedom
const T_CRIT: [f64; 10] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
];

struct Run {
    steps: Vec<f64>,
    test: Vec<f64>,
}

impl Run {
    fn load(path: &Path) -> Result<Run, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut run = Run {
            steps: Vec::new(),
            test: Vec::new(),
        };
        for (i, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let num = |k: usize| -> Result<f64, String> {
                f.get(k).and_then(|s| s.parse::<f64>().ok()).ok_or_else(|| {
                    format!("{}:{}: column {k} is not a number", path.display(), i + 1)
                })
            };
            run.steps.push(num(1)?);
            run.test.push(num(4)?);
        }
        if run.test.len() < 2 {
            return Err(format!("{}: fewer than two tests", path.display()));
        }
        Ok(run)
    }
    fn last(&self) -> f64 {
        self.test[self.test.len() - 1]
    }
    fn auc(&self) -> f64 {
        self.test[1..].iter().sum::<f64>() / (self.test.len() - 1) as f64
    }
}

// mean, standard deviation and paired t statistic of the differences
fn paired(d: &[f64]) -> (f64, f64, f64) {
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let t = if sd > 0.0 {
        mean / (sd / n.sqrt())
    } else if mean == 0.0 {
        0.0
    } else {
        f64::INFINITY
    };
    (mean, sd, t)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let runs = PathBuf::from(args.get(1).map_or("runs/precision", String::as_str));
    let out = PathBuf::from(args.get(2).map_or("docs/results", String::as_str));
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut md = String::from(
        "# f32 against f64 learning (PPO and DDPG, MLP, Tonic's defaults)\n\n\
         Made by `tools/ncap/precision_curves.sh` (training) and \
         `cargo run --release -p nc-ncap --example precision_curves -- RUNS docs/results` (this \
         page and the figures). Each seed trains once per precision from the same initial \
         weights (rounded to f32 for the f32 run) with the same environment and sampling \
         streams. Paired over seeds: final test return and mean test return over the tests \
         after step 0 (area under the curve); paired t-test, two-sided, 5 %.\n\n",
    );
    for algo in ["ppo", "ddpg"] {
        let mut seeds = Vec::new();
        for s in 0.. {
            let dir = |p: &str| runs.join(format!("{algo}-{p}-s{s}")).join("log.csv");
            if !dir("f32").exists() || !dir("f64").exists() {
                break;
            }
            seeds.push((Run::load(&dir("f32"))?, Run::load(&dir("f64"))?));
        }
        if seeds.is_empty() {
            md.push_str(&format!(
                "## {}\n\nNo runs in {}.\n\n",
                algo.to_uppercase(),
                runs.display()
            ));
            continue;
        }
        let n = seeds.len();
        let budget_steps = seeds[0].0.steps.last().copied().unwrap_or(0.0);
        // figure: every seed's curve in both precisions
        let mut series = Vec::new();
        let blue = [
            Rgb(31, 119, 180),
            Rgb(66, 146, 198),
            Rgb(8, 81, 156),
            Rgb(107, 174, 214),
        ];
        let orange = [
            Rgb(230, 85, 13),
            Rgb(253, 141, 60),
            Rgb(166, 54, 3),
            Rgb(253, 174, 107),
        ];
        for (s, (a, b)) in seeds.iter().enumerate() {
            series.push(
                Series::from_xy(format!("f32 seed {s}"), &a.steps, &a.test)
                    .with_colour(blue[s % blue.len()]),
            );
            series.push(
                Series::from_xy(format!("f64 seed {s}"), &b.steps, &b.test)
                    .with_colour(orange[s % orange.len()])
                    .with_markers(),
            );
        }
        let spec = LineSpec {
            title: format!(
                "{} MLP: f32 (blue) and f64 (orange, dots), {n} seeds",
                algo.to_uppercase()
            ),
            description: format!(
                "Test return against environment steps for {n} seeds of {} with the MLP at Tonic's defaults, trained once in f32 and once in f64 per seed, up to {budget_steps:.0} steps.",
                algo.to_uppercase()
            ),
            x: Axis::linear("environment steps"),
            y: Axis::linear("test return"),
            series,
            ..LineSpec::default()
        };
        let svg = line_chart(&spec).map_err(|e| e.to_string())?;
        let name = format!("ncap-precision-{algo}.svg");
        save_svg(&out.join(&name), &svg).map_err(|e| e.to_string())?;
        // paired comparison
        md.push_str(&format!(
            "## {}\n\n![{} f32 and f64 test curves](ncap-precision-{algo}.svg)\n\n\
             | seed | initial | final f32 | final f64 | mean f32 | mean f64 |\n|---|---|---|---|---|---|\n",
            algo.to_uppercase(),
            algo.to_uppercase()
        ));
        for (s, (a, b)) in seeds.iter().enumerate() {
            md.push_str(&format!(
                "| {s} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
                a.test[0],
                a.last(),
                b.last(),
                a.auc(),
                b.auc()
            ));
        }
        let d_final: Vec<f64> = seeds.iter().map(|(a, b)| a.last() - b.last()).collect();
        let d_auc: Vec<f64> = seeds.iter().map(|(a, b)| a.auc() - b.auc()).collect();
        let crit = T_CRIT[(n.max(2) - 2).min(T_CRIT.len() - 1)];
        let mut holds = true;
        md.push('\n');
        for (what, d) in [("final return", &d_final), ("mean return", &d_auc)] {
            if n < 2 {
                break;
            }
            let (mean, sd, t) = paired(d);
            let reject = t.abs() > crit;
            holds &= !reject;
            md.push_str(&format!(
                "- {what}: f32 − f64 = {mean:+.1} on average (sd {sd:.1} over seeds), t = {t:.2} \
                 against ±{crit:.3} for {} degrees of freedom: {}; the smallest mean difference \
                 this could detect is about {:.0}.\n",
                n - 1,
                if reject {
                    "different"
                } else {
                    "not distinguishable"
                },
                crit * sd / (n as f64).sqrt()
            ));
        }
        let initial = seeds
            .iter()
            .map(|(a, b)| a.test[0] + b.test[0])
            .sum::<f64>()
            / (2 * n) as f64;
        let final_f32 = seeds.iter().map(|(a, _)| a.last()).sum::<f64>() / n as f64;
        let final_f64 = seeds.iter().map(|(_, b)| b.last()).sum::<f64>() / n as f64;
        let learned = final_f32 >= initial + 100.0 && final_f64 >= initial + 100.0;
        let budget = Budget::sufficient_if(
            n >= 3,
            format!("only {n} seed(s) ran"),
            "at least 3 seeds per precision",
        )
        .and(Budget::sufficient_if(
            learned,
            format!(
                "the runs did not learn enough to compare (mean initial {initial:.0}, final f32 {final_f32:.0}, final f64 {final_f64:.0})"
            ),
            "a budget at which both precisions gain at least 100 return",
        ));
        let v = Verdict::judge(budget, holds);
        // the claim is the issue's, not the paper's, so the sentence is worded here
        let sentence = match &v {
            Verdict::Agrees => format!(
                "neither paired test tells the precisions apart over {n} seeds, in runs that learned."
            ),
            Verdict::Disagrees => {
                format!("a paired test tells the precisions apart over {n} seeds (see above).")
            }
            Verdict::TooSmallToJudge { why, needed } => {
                format!("the budget is too small to judge: {why}. Judging it needs {needed}.")
            }
        };
        md.push_str(&format!(
            "\nClaim: f32 and f64 training give statistically indistinguishable curves. \
             Verdict: {}; {sentence}\n\n",
            v.word()
        ));
        println!("{algo}: {} ({n} seeds)", v.word());
    }
    let path = out.join("ncap-precision.md");
    std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
