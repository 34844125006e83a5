//! Measures of a drawing: its size, how many boxes and wires it has, how often wires cross,
//! and what its legend says. `neurocircuits diagram draw --stats` prints them as JSON, and the
//! tests hold the drawings to them.

use crate::legend::Entry;
use crate::scene::{Prim, Role, Scene, Seg};

/// The measures of one drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Canvas width in px.
    pub width: f64,
    /// Canvas height in px.
    pub height: f64,
    /// Operation boxes, markers and collapsed blocks.
    pub boxes: usize,
    /// Wire paths.
    pub wires: usize,
    /// Points where two wire paths cross (touching at a dot or a box does not count).
    pub crossings: usize,
    /// The legend: every label with the axis it names and its size.
    pub legend: Vec<Entry>,
    /// Bundles of axes drawn as one wire: each label with the axes it holds.
    pub bundles: Vec<crate::legend::Bundle>,
}

impl Stats {
    /// Measures a laid-out drawing.
    #[must_use]
    pub fn of(scene: &Scene) -> Stats {
        let boxes = scene
            .prims
            .iter()
            .filter(|p| {
                matches!(
                    p,
                    Prim::Rect(
                        Role::Op | Role::Learned | Role::Wiring | Role::Marker | Role::BlockBox,
                        ..
                    )
                )
            })
            .count();
        let paths: Vec<Vec<(f64, f64)>> = scene
            .prims
            .iter()
            .filter_map(|p| match p {
                Prim::Path(Role::Wire | Role::Wire2, segs) => Some(polyline(segs)),
                _ => None,
            })
            .collect();
        Stats {
            width: scene.width,
            height: scene.height,
            boxes,
            wires: paths.len(),
            crossings: crossings(&paths),
            legend: scene.legend.clone(),
            bundles: scene.bundles.clone(),
        }
    }

    /// The measures as one JSON object: `{"width", "height", "boxes", "wires", "crossings",
    /// "legend": [{"label", "axis", "size", "formula"}], "bundles": [{"label", "axes"}]}`,
    /// `axis` the axis's unique id and `size` its value at the drawn sizes (`null` when a size
    /// symbol has no default).
    #[must_use]
    pub fn json(&self) -> String {
        let legend: Vec<serde_json::Value> = self
            .legend
            .iter()
            .map(|e| {
                serde_json::json!({
                    "label": e.label,
                    "axis": e.axis,
                    "size": e.size,
                    "formula": e.formula,
                })
            })
            .collect();
        serde_json::json!({
            "width": round(self.width),
            "height": round(self.height),
            "boxes": self.boxes,
            "wires": self.wires,
            "crossings": self.crossings,
            "legend": legend,
            "bundles": self
                .bundles
                .iter()
                .map(|b| serde_json::json!({"label": b.label, "axes": b.axes}))
                .collect::<Vec<_>>(),
        })
        .to_string()
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Points along a path, each Bézier curve sampled at 16 steps.
fn polyline(segs: &[Seg]) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for s in segs {
        match *s {
            Seg::M(x, y) | Seg::L(x, y) => pts.push((x, y)),
            Seg::C(ax, ay, bx, by, x, y) => {
                let (x0, y0) = pts.last().copied().unwrap_or((x, y));
                for i in 1..=16 {
                    let t = f64::from(i) / 16.0;
                    let u = 1.0 - t;
                    let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
                    pts.push((
                        w[0] * x0 + w[1] * ax + w[2] * bx + w[3] * x,
                        w[0] * y0 + w[1] * ay + w[2] * by + w[3] * y,
                    ));
                }
            }
            Seg::Z => {}
        }
    }
    pts.dedup();
    pts
}

/// Where segments `p0 p1` and `q0 q1` cross, with both parameters in `[0, 1)` so a crossing at
/// a shared sample point counts once.
fn cross(p0: (f64, f64), p1: (f64, f64), q0: (f64, f64), q1: (f64, f64)) -> Option<(f64, f64)> {
    let r = (p1.0 - p0.0, p1.1 - p0.1);
    let s = (q1.0 - q0.0, q1.1 - q0.1);
    let den = r.0 * s.1 - r.1 * s.0;
    if den.abs() < 1e-9 {
        return None;
    }
    let d = (q0.0 - p0.0, q0.1 - p0.1);
    let t = (d.0 * s.1 - d.1 * s.0) / den;
    let u = (d.0 * r.1 - d.1 * r.0) / den;
    ((0.0..1.0).contains(&t) && (0.0..1.0).contains(&u)).then_some((p0.0 + t * r.0, p0.1 + t * r.1))
}

/// Counts crossings between different paths. Segments are bucketed by x, and a crossing is
/// counted in the bucket holding it; a crossing within 1.5 px of either path's end is a touch
/// (wires meeting at a copy dot, a sum or a box), not a crossing.
fn crossings(paths: &[Vec<(f64, f64)>]) -> usize {
    const BUCKET: f64 = 24.0;
    let mut buckets: std::collections::BTreeMap<i64, Vec<(usize, usize)>> = Default::default();
    for (pi, p) in paths.iter().enumerate() {
        for si in 0..p.len().saturating_sub(1) {
            let (a, b) = (p[si], p[si + 1]);
            #[allow(clippy::cast_possible_truncation, reason = "canvas coordinates")]
            let (lo, hi) = (
                (a.0.min(b.0) / BUCKET).floor() as i64,
                (a.0.max(b.0) / BUCKET).floor() as i64,
            );
            for k in lo..=hi {
                buckets.entry(k).or_default().push((pi, si));
            }
        }
    }
    let near_end = |p: &[(f64, f64)], x: (f64, f64)| {
        [p.first(), p.last()]
            .into_iter()
            .flatten()
            .any(|e| (e.0 - x.0).hypot(e.1 - x.1) < 1.5)
    };
    let mut n = 0;
    for (k, segs) in &buckets {
        for (i, &(pa, sa)) in segs.iter().enumerate() {
            for &(pb, sb) in &segs[i + 1..] {
                if pa == pb {
                    continue;
                }
                let (a, b) = (&paths[pa], &paths[pb]);
                let Some(x) = cross(a[sa], a[sa + 1], b[sb], b[sb + 1]) else {
                    continue;
                };
                #[allow(clippy::cast_possible_truncation, reason = "canvas coordinates")]
                let home = (x.0 / BUCKET).floor() as i64;
                if home == *k && !near_end(a, x) && !near_end(b, x) {
                    n += 1;
                }
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_x_crosses_once_and_a_fan_never() {
        let x = vec![
            vec![(0.0, 0.0), (10.0, 10.0), (20.0, 20.0)],
            vec![(0.0, 20.0), (10.0, 10.0), (20.0, 0.0)],
        ];
        assert_eq!(crossings(&x), 1);
        // two wires leaving one dot touch there, they do not cross
        let fan = vec![
            vec![(0.0, 0.0), (20.0, 0.0)],
            vec![(0.0, 0.0), (20.0, 10.0)],
        ];
        assert_eq!(crossings(&fan), 0);
        let parallel = vec![vec![(0.0, 0.0), (50.0, 0.0)], vec![(0.0, 5.0), (50.0, 5.0)]];
        assert_eq!(crossings(&parallel), 0);
    }

    #[test]
    fn curves_are_sampled() {
        let p = polyline(&[Seg::M(0.0, 0.0), Seg::C(5.0, 0.0, 5.0, 10.0, 10.0, 10.0)]);
        assert_eq!(p.len(), 17);
        assert_eq!(p[16], (10.0, 10.0));
    }
}
