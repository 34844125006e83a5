//! Wrapping a long drawing onto rows, as text wraps onto lines: where a drawing is wider
//! than [`WRAP_AT`], it is cut at data columns that only a few wires cross, outside every
//! expanded block, and the part after each cut is drawn as a new row under the one before.
//! The wires of a cut leave the row on the right, run back left in a channel under it and
//! enter the next row, where the cut's data column (wires and labels) is drawn again. The
//! wires turn as a ribbon does (the top one outermost on the right, innermost on the left),
//! so the channel adds no crossing and the wires keep their order.

use crate::flatten::{Event, Flat};
use crate::layout::EDGE;
use crate::scene::{Hot, Prim, Role, Seg};

/// A drawing wider than this (px) wraps onto rows, if it can.
pub(crate) const WRAP_AT: f64 = 600.0;
/// Most wires a cut may carry from one row to the next.
pub(crate) const MAX_WIRES: usize = 4;
/// Most rows.
const MAX_ROWS: usize = 4;
/// Distance between wires in the channel, and between their turns.
const GAP: f64 = 8.0;
/// Radius of a turn.
const RADIUS: f64 = 5.0;
/// Space between a channel and the row under it.
const ROW_GAP: f64 = 12.0;
/// Tolerance in comparing coordinates.
const EPS: f64 = 0.05;

/// Where row `r + 1` starts, for a cut of `n` wires: right of its wires' turns.
fn left_of_row(n: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "a few wires")]
    let n = n as f64;
    EDGE + n * GAP + GAP / 2.0
}

#[allow(clippy::cast_precision_loss, reason = "a few wires")]
fn turn_room(n: usize) -> f64 {
    n as f64 * GAP
}

/// The widest row (px, without the right canvas margin) when the data columns `data_x` are
/// cut after the columns `cuts`, `wires[k]` crossing column `k`.
fn rows_width(data_x: &[(f64, f64)], wires: &[usize], cuts: &[usize]) -> f64 {
    let mut widest: f64 = 0.0;
    let mut start = 0.0;
    let mut left = 0.0;
    for &c in cuts {
        widest = widest.max(left + data_x[c].1 - start + turn_room(wires[c]));
        start = data_x[c].0;
        left = left_of_row(wires[c]);
    }
    let end = data_x.last().map_or(0.0, |x| x.1);
    widest.max(left + end - start)
}

/// What a wrap costs, in px of width: a row, and each wire a cut carries round.
const ROW_COST: f64 = 100.0;
const WIRE_COST: f64 = 60.0;

/// The cuts' score: the widest row plus what the rows and the wires cut cost; lower is better.
fn score(data_x: &[(f64, f64)], wires: &[usize], cuts: &[usize]) -> f64 {
    let carried: usize = cuts.iter().map(|&c| wires[c]).sum();
    #[allow(clippy::cast_precision_loss, reason = "a few rows and wires")]
    let cost = ROW_COST * cuts.len() as f64 + WIRE_COST * carried as f64;
    rows_width(data_x, wires, cuts) + cost
}

/// The data columns after which to wrap, in order; empty when the drawing fits in
/// [`WRAP_AT`] or no wrap pays. `cuttable[k]` says whether column `k` may be cut, `wires[k]`
/// how many wires cross it. Of the wraps into at most [`MAX_ROWS`] rows, the one with the
/// lowest [`score`] is taken (among those within [`crate::fit::MAX_WIDTH`], when the drawing
/// is wider), if its widest row is at least a fifth narrower than the drawing in one row.
pub(crate) fn choose(data_x: &[(f64, f64)], cuttable: &[bool], wires: &[usize]) -> Vec<usize> {
    let natural = data_x.last().map_or(0.0, |x| x.1);
    if natural + EDGE <= WRAP_AT {
        return Vec::new();
    }
    let cand: Vec<usize> = (1..data_x.len().saturating_sub(1))
        .filter(|&k| cuttable[k] && (1..=MAX_WIRES).contains(&wires[k]))
        .collect();
    let mut best: Option<(bool, f64, Vec<usize>)> = None;
    let mut cuts = Vec::new();
    for rows in 2..=MAX_ROWS {
        search(data_x, wires, &cand, 0, rows - 1, &mut cuts, &mut best);
    }
    match best {
        // a wrap must pay for its channels: at least a fifth narrower
        Some((_, _, cuts)) if rows_width(data_x, wires, &cuts) < 0.8 * natural => cuts,
        _ => Vec::new(),
    }
}

/// Every way of taking `left` more cuts from `cand[from..]` after `cuts`, keeping the best:
/// within the page width first, then the lowest score.
fn search(
    data_x: &[(f64, f64)],
    wires: &[usize],
    cand: &[usize],
    from: usize,
    left: usize,
    cuts: &mut Vec<usize>,
    best: &mut Option<(bool, f64, Vec<usize>)>,
) {
    if left == 0 {
        let over = rows_width(data_x, wires, cuts) + EDGE > crate::fit::MAX_WIDTH;
        let s = score(data_x, wires, cuts);
        let better = best.as_ref().is_none_or(|b| (over, s) < (b.0, b.1 - EPS));
        if better {
            *best = Some((over, s, cuts.clone()));
        }
        return;
    }
    for i in from..cand.len() {
        cuts.push(cand[i]);
        search(data_x, wires, cand, i + 1, left - 1, cuts, best);
        cuts.pop();
    }
}

/// The data columns after which the drawing `flat`, its data columns at `data_x`, wraps onto
/// a new row (`x0, x1` of each). Only a column outside every expanded block may be cut.
pub(crate) fn cuts(flat: &Flat, data_x: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut depth = 0usize;
    let mut cuttable = Vec::with_capacity(flat.states.len());
    for k in 0..flat.states.len() {
        cuttable.push(depth == 0);
        match flat.events.get(k) {
            Some(Event::Open(_)) => depth += 1,
            Some(Event::Close(_)) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let wires: Vec<usize> = flat.states.iter().map(Vec::len).collect();
    choose(data_x, &cuttable, &wires)
        .into_iter()
        .map(|k| data_x[k])
        .collect()
}

/// Which row a point at `x` (before wrapping) belongs to.
fn row_of(cuts: &[(f64, f64)], x: f64) -> usize {
    cuts.iter().filter(|c| x > c.1 + EPS).count()
}

fn first_x(segs: &[Seg]) -> f64 {
    match segs.first() {
        Some(Seg::M(x, _) | Seg::L(x, _) | Seg::C(_, _, _, _, x, _)) => *x,
        _ => 0.0,
    }
}

fn end(s: &Seg) -> Option<(f64, f64)> {
    match *s {
        Seg::M(x, y) | Seg::L(x, y) | Seg::C(_, _, _, _, x, y) => Some((x, y)),
        Seg::Z => None,
    }
}

fn shift_seg(s: Seg, (dx, dy): (f64, f64)) -> Seg {
    match s {
        Seg::M(x, y) => Seg::M(x + dx, y + dy),
        Seg::L(x, y) => Seg::L(x + dx, y + dy),
        Seg::C(a, b, c, d, x, y) => Seg::C(a + dx, b + dy, c + dx, d + dy, x + dx, y + dy),
        Seg::Z => Seg::Z,
    }
}

fn shift_prim(p: &mut Prim, (dx, dy): (f64, f64)) {
    match p {
        Prim::Path(_, segs) => {
            for s in segs {
                *s = shift_seg(*s, (dx, dy));
            }
        }
        Prim::Rect(_, x, y, _, _) | Prim::Circle(_, x, y, _) => {
            *x += dx;
            *y += dy;
        }
        Prim::Text(t) => {
            t.x += dx;
            t.y += dy;
        }
    }
}

fn top_bottom(p: &Prim) -> (f64, f64) {
    match p {
        Prim::Rect(_, _, y, _, h) => (*y, y + h),
        Prim::Circle(_, _, cy, r) => (cy - r, cy + r),
        Prim::Text(t) => {
            let b = t.bbox();
            (b.1, b.3)
        }
        Prim::Path(_, segs) => segs
            .iter()
            .filter_map(end)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, y)| {
                (lo.min(y), hi.max(y))
            }),
    }
}

fn is_wire(p: &Prim) -> bool {
    matches!(p, Prim::Path(Role::Wire | Role::Wire2, _))
}

/// A polyline through `pts` with its corners rounded.
fn rounded(pts: &[(f64, f64)]) -> Vec<Seg> {
    let mut out = Vec::new();
    for i in 1..pts.len() {
        let (p, q) = (pts[i - 1], pts[i]);
        if i + 1 == pts.len() {
            out.push(Seg::L(q.0, q.1));
            break;
        }
        let r = pts[i + 1];
        let unit = |a: (f64, f64), b: (f64, f64)| {
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let l = dx.hypot(dy).max(1e-9);
            (dx / l, dy / l, l)
        };
        let (ax, ay, la) = unit(p, q);
        let (bx, by, lb) = unit(q, r);
        let rad = RADIUS.min(la / 2.0).min(lb / 2.0);
        out.push(Seg::L(q.0 - ax * rad, q.1 - ay * rad));
        out.push(Seg::C(q.0, q.1, q.0, q.1, q.0 + bx * rad, q.1 + by * rad));
    }
    out
}

/// Places the rows: wraps `prims` and `hot` (laid out in one row) after the data columns
/// `cuts` (`(x0, x1)` of each), and with them `loose`, each placed in the row of the x
/// given with it (a cost line under its column). Returns the right end of the last row's data
/// (where wires that reach the right edge end) and the right end of everything drawn.
pub(crate) fn apply(
    prims: &mut Vec<Prim>,
    hot: &mut [Hot],
    cuts: &[(f64, f64)],
    last_right: f64,
    loose: &mut [(f64, Prim)],
) -> (f64, f64) {
    let rows = cuts.len() + 1;
    // the cut's data column is drawn again at the start of the next row: its labels and
    // separators
    let mut extra = Vec::new();
    for p in prims.iter_mut() {
        let x = match p {
            Prim::Text(t) => t.x,
            Prim::Path(Role::Sep, segs) => first_x(segs),
            _ => continue,
        };
        let Some(r) = cuts.iter().position(|c| x >= c.0 - EPS && x <= c.1 + EPS) else {
            continue;
        };
        let copy = p.clone();
        if let Prim::Path(_, segs) = p {
            for s in segs.iter_mut() {
                if let Seg::L(x, _) = s {
                    *x = x.min(cuts[r].1);
                }
            }
        }
        extra.push((r + 1, copy));
    }
    let row_of_prim = |p: &Prim| -> usize {
        let x = match p {
            Prim::Path(_, segs) => first_x(segs),
            Prim::Rect(_, x, ..) | Prim::Circle(_, x, ..) => *x,
            Prim::Text(t) => t.x,
        };
        row_of(cuts, x)
    };
    // each row's extent, before wrapping
    let mut top = vec![f64::INFINITY; rows];
    let mut bottom = vec![f64::NEG_INFINITY; rows];
    let mut note = |r: usize, p: &Prim| {
        let (a, b) = top_bottom(p);
        top[r] = top[r].min(a);
        bottom[r] = bottom[r].max(b);
    };
    for p in prims.iter() {
        if is_wire(p) {
            // a wire counts in every row it runs through
            if let Prim::Path(_, segs) = p {
                for (x, y) in segs.iter().filter_map(end) {
                    let pt = Prim::Circle(Role::Dot, x, y, 0.0);
                    note(row_of(cuts, x), &pt);
                }
            }
        } else {
            note(row_of_prim(p), p);
        }
    }
    for (r, p) in &extra {
        note(*r, p);
    }
    for (x, p) in loose.iter() {
        note(row_of(cuts, *x), p);
    }
    // the wires of each cut, top to bottom
    let mut crossing: Vec<Vec<f64>> = vec![Vec::new(); cuts.len()];
    for p in prims.iter() {
        if let Prim::Path(Role::Wire | Role::Wire2, segs) = p {
            let pts: Vec<(f64, f64)> = segs.iter().filter_map(end).collect();
            for (r, c) in cuts.iter().enumerate() {
                if let Some(w) = pts
                    .windows(2)
                    .find(|w| w[0].0 <= c.1 + EPS && w[1].0 > c.1 + EPS)
                {
                    crossing[r].push(w[0].1);
                }
            }
        }
    }
    for c in &mut crossing {
        c.sort_by(f64::total_cmp);
    }
    // each row's shift
    let mut shift = vec![(0.0, 0.0); rows];
    for r in 1..rows {
        let n = crossing[r - 1].len();
        let channel = bottom[r - 1] + shift[r - 1].1 + turn_room(n) + GAP;
        shift[r] = (
            left_of_row(n) - cuts[r - 1].0,
            channel + ROW_GAP - if top[r].is_finite() { top[r] } else { 0.0 },
        );
    }
    let connector = |r: usize, y: f64| -> Vec<Seg> {
        // row r's cut at y, into row r + 1
        let ys = &crossing[r];
        let n = ys.len();
        let i = ys.iter().position(|v| (v - y).abs() < EPS).unwrap_or(0);
        #[allow(clippy::cast_precision_loss, reason = "a few wires")]
        let outer = (n - i) as f64;
        let (dx, dy) = shift[r];
        let (x1, y1) = (cuts[r].1 + dx, y + dy);
        let xr = x1 + outer * GAP;
        let h = bottom[r] + dy + outer * GAP;
        let xl = EDGE + GAP / 2.0 + (outer - 1.0) * GAP;
        let (nx, ny) = shift[r + 1];
        let (x2, y2) = (cuts[r].0 + nx, y + ny);
        let mut segs = rounded(&[(x1, y1), (xr, y1), (xr, h), (xl, h), (xl, y2), (x2, y2)]);
        segs.push(Seg::L(cuts[r].1 + nx, y2));
        segs
    };
    let mut out = Vec::with_capacity(prims.len() + extra.len());
    for p in prims.drain(..) {
        if let Prim::Path(role @ (Role::Wire | Role::Wire2), segs) = &p {
            let mut row = row_of(cuts, first_x(segs));
            let mut new = Vec::with_capacity(segs.len());
            let mut prev: Option<(f64, f64)> = None;
            for s in segs {
                if let (Some((px, py)), Some((x, _))) = (prev, end(s))
                    && row < cuts.len()
                    && x > cuts[row].1 + EPS
                    && px <= cuts[row].1 + EPS
                {
                    new.extend(connector(row, py));
                    row += 1;
                }
                new.push(shift_seg(*s, shift[row]));
                prev = end(s);
            }
            out.push(Prim::Path(*role, new));
            continue;
        }
        let r = row_of_prim(&p);
        let mut p = p;
        shift_prim(&mut p, shift[r]);
        out.push(p);
    }
    for (r, mut p) in extra {
        shift_prim(&mut p, shift[r]);
        out.push(p);
    }
    for (x, p) in loose.iter_mut() {
        shift_prim(p, shift[row_of(cuts, *x)]);
    }
    for h in hot.iter_mut() {
        let (dx, dy) = shift[row_of(cuts, h.rect[0])];
        h.rect[0] += dx;
        h.rect[1] += dy;
    }
    *prims = out;
    let mut widest: f64 = 0.0;
    for r in 0..rows {
        let right = if r + 1 == rows {
            last_right
        } else {
            cuts[r].1 + turn_room(crossing[r].len())
        };
        widest = widest.max(right + shift[r].0);
    }
    (last_right + shift[rows - 1].0, widest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Text;

    fn label(t: &Text) -> String {
        t.runs.iter().map(|r| r.text.as_str()).collect()
    }

    #[test]
    fn narrow_drawings_do_not_wrap() {
        let data_x = [(10.0, 30.0), (100.0, 120.0), (200.0, 220.0)];
        assert!(choose(&data_x, &[true; 3], &[2; 3]).is_empty());
    }

    #[test]
    fn a_long_chain_wraps_in_the_middle() {
        // eleven data columns 20 px wide, 100 px apart: 1030 px in one row
        let data_x: Vec<(f64, f64)> = (0..11)
            .map(|k| (10.0 + 100.0 * f64::from(k), 30.0 + 100.0 * f64::from(k)))
            .collect();
        let cuts = choose(&data_x, &[true; 11], &[2; 11]);
        assert_eq!(cuts, vec![5]);
        // a column that may not be cut moves the cut beside it
        let mut ok = [true; 11];
        ok[5] = false;
        let cuts = choose(&data_x, &ok, &[2; 11]);
        assert!(cuts == vec![4] || cuts == vec![6], "{cuts:?}");
        // a column with too many wires is no cut either
        assert!(choose(&data_x, &[true; 11], &[MAX_WIRES + 1; 11]).is_empty());
        // a cut that carries fewer wires round wins over a more even one
        let mut wires = [MAX_WIRES; 11];
        wires[4] = 1;
        assert_eq!(choose(&data_x, &[true; 11], &wires), vec![4]);
    }

    #[test]
    fn a_wrapped_wire_runs_on_into_the_next_row() {
        let mut prims = vec![
            Prim::Path(
                Role::Wire,
                vec![Seg::M(10.0, 50.0), Seg::L(300.0, 50.0), Seg::L(600.0, 50.0)],
            ),
            Prim::Text(Text::new(
                300.0,
                46.0,
                11.0,
                crate::scene::Face::Italic,
                "m",
            )),
        ];
        let (end, widest) = apply(&mut prims, &mut [], &[(290.0, 310.0)], 600.0, &mut []);
        let Prim::Path(_, segs) = &prims[0] else {
            panic!()
        };
        let pts: Vec<(f64, f64)> = segs.iter().filter_map(super::end).collect();
        // it goes right, down, back left and into the second row, which starts at the left
        assert_eq!(pts.first(), Some(&(10.0, 50.0)));
        let last = *pts.last().unwrap();
        assert!(last.1 > 60.0 && (last.0 - end).abs() < EPS, "{pts:?}");
        assert!(widest < 400.0, "{widest}");
        // the cut column's label is drawn in both rows
        let labels: Vec<&Text> = prims
            .iter()
            .filter_map(|p| match p {
                Prim::Text(t) => Some(t),
                _ => None,
            })
            .collect();
        assert_eq!(labels.len(), 2);
        assert!(labels.iter().all(|t| label(t) == "m"));
        assert!(
            labels[1].y > labels[0].y + 20.0 && labels[1].x < 40.0,
            "{labels:?}"
        );
    }
}
