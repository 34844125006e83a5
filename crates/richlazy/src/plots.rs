//! SVG figures of the experiments, drawn with nc-plot.

use crate::sweep::{MEASURES, SummaryRow, SweepConfig, SweepError};
use nc_plot::{Axis, LineSpec, Series, line_chart, save_svg};
use std::path::Path;

fn title(measure: &str) -> &'static str {
    match measure {
        "weight_change" => "‖ΔW_h‖_F",
        "weight_change_rel" => "‖ΔW_h‖_F / ‖W_h(0)‖_F",
        "ka" => "tangent kernel alignment",
        "ra" => "representation alignment",
        "sign_similarity" => "sign similarity",
        "accuracy" => "decision accuracy",
        _ => "kernel–target alignment",
    }
}

/// One figure per measure: the measure against initial rank (log axis), one line per task,
/// band = ± sd over seeds (the paper's Fig. 1).
pub fn rank_sweep(cfg: &SweepConfig, summary: &[SummaryRow], dir: &Path) -> Result<(), SweepError> {
    for m in MEASURES {
        let series: Vec<Series> = cfg
            .tasks
            .iter()
            .map(|&task| {
                let rows: Vec<&SummaryRow> = summary
                    .iter()
                    .filter(|s| s.task == task && s.measure == m)
                    .collect();
                let pts: Vec<(f64, f64)> = rows.iter().map(|s| (s.rank as f64, s.mean)).collect();
                let sd: Vec<f64> = rows.iter().map(|s| s.sd).collect();
                Series::new(task.to_string(), pts)
                    .with_spread(&sd)
                    .with_markers()
            })
            .collect();
        let spec = LineSpec {
            title: format!("{} vs initial rank", title(m)),
            description: format!(
                "Mean ± sd over {} seeds of {} after training, against the rank of W_h(0), per task.",
                cfg.seeds.len(),
                title(m)
            ),
            x: Axis::log("initial rank of W_h"),
            y: Axis::linear(title(m)),
            series,
            ..LineSpec::default()
        };
        let path = dir.join(format!("{m}_vs_rank.svg"));
        let svg = line_chart(&spec).map_err(|e| SweepError::Plot {
            path: path.clone(),
            msg: e.to_string(),
        })?;
        save_svg(&path, &svg).map_err(|e| SweepError::Plot {
            path: path.clone(),
            msg: e.to_string(),
        })?;
    }
    Ok(())
}
