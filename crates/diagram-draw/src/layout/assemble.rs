//! The finished scene: block frames with their captions and λ brackets, rows when the
//! drawing wraps, the cost band, the legend and the title.

use super::{COST_FONT, EDGE, LABEL_FONT, PAD, PITCH, Painter, TITLE_H};
use crate::flatten::Event;
use crate::scene::{Face, Prim, Role, Scene, Seg, Text};

impl Painter<'_> {
    /// Backgrounds, titles and λ brackets of expanded blocks.
    pub(super) fn blocks(&mut self) {
        for (bi, info) in self.flat.blocks.iter().enumerate() {
            let open = self
                .flat
                .events
                .iter()
                .position(|e| matches!(e, Event::Open(b) if *b == bi));
            let close = self
                .flat
                .events
                .iter()
                .position(|e| matches!(e, Event::Close(b) if *b == bi));
            let (Some(o), Some(c)) = (open, close) else {
                continue;
            };
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for k in o..=c + 1 {
                for (i, l) in self.flat.states[k].iter().enumerate() {
                    if l.owners.contains(&bi) {
                        lo = lo.min(self.ys[k][i]);
                        hi = hi.max(self.ys[k][i]);
                    }
                }
            }
            if !lo.is_finite() {
                continue;
            }
            let inset = 3.0;
            let x0 = self.ev_x[o].0 + inset;
            let x1 = self.ev_x[c].1 - inset;
            #[allow(clippy::cast_precision_loss, reason = "nesting depth is tiny")]
            let nest = self.inner_depth(bi, o, c) as f64;
            let top = lo - TITLE_H - PITCH / 2.0 + 2.0;
            let bot = hi + PITCH / 2.0 - 2.0 + nest * PAD;
            self.bgs.push((
                info.depth,
                Prim::Rect(Role::BlockBg, x0, top, x1 - x0, bot - top),
            ));
            self.hot.push(crate::scene::Hot {
                label: info.name.clone(),
                expanded: true,
                rect: [x0, top, x1 - x0, TITLE_H],
            });
            let t = Text::new(x0 + 6.0, top + 13.0, LABEL_FONT, Face::Plain, &info.title);
            self.texts.push(Prim::Text(t));
            if info.lambda {
                let (bl, br) = (x0 + 2.0, x1 - 2.0);
                for (x, dir) in [(bl, -1.0), (br, 1.0)] {
                    let bulge = x + dir * 6.0;
                    self.boxes.push(Prim::Path(
                        Role::Bracket,
                        vec![
                            Seg::M(x, top + 3.0),
                            Seg::C(bulge, top + 12.0, bulge, bot - 12.0, x, bot - 3.0),
                        ],
                    ));
                }
            }
        }
    }

    /// How many blocks nested inside `bi` close at its last wire (extra bottom padding).
    pub(super) fn inner_depth(&self, bi: usize, o: usize, c: usize) -> usize {
        self.flat.events[o..c]
            .iter()
            .filter(|e| matches!(e, Event::Open(b) if *b != bi))
            .count()
            .min(1)
    }

    pub(super) fn assemble(self, right: f64, cuts: &[(f64, f64)]) -> Scene {
        let mut prims = Vec::new();
        let mut bgs = self.bgs;
        bgs.sort_by_key(|(d, _)| *d);
        prims.extend(bgs.into_iter().map(|(_, p)| p));
        prims.extend(self.wires);
        prims.extend(self.boxes);
        prims.extend(self.texts);
        let mut hot = self.hot;
        let natural = right;
        // cost overlay band under everything, each line under its column: it wraps with
        // its column's row
        let mut costs = Vec::new();
        if !self.costs.is_empty() {
            let y0 = prims.iter().map(prim_bottom).fold(0.0, f64::max) + 14.0;
            for (cx, lines) in &self.costs {
                for (i, s) in lines.iter().enumerate() {
                    #[allow(clippy::cast_precision_loss, reason = "a few lines")]
                    let y = y0 + 11.0 * i as f64;
                    let w = crate::metrics::width(s, COST_FONT);
                    let t = Text::new(cx - w / 2.0, y, COST_FONT, Face::Plain, s);
                    costs.push((*cx, Prim::Text(t)));
                }
            }
        }
        let (right, extent) = if cuts.is_empty() {
            (right, right)
        } else {
            crate::wrap::apply(&mut prims, &mut hot, cuts, right, &mut costs)
        };
        prims.extend(costs.into_iter().map(|(_, p)| p));
        let mut bottom = prims.iter().map(prim_bottom).fold(0.0, f64::max);
        let mut width = extent + EDGE;
        // legend under the drawing
        let legend: Vec<String> = (self.labels.lines.iter().cloned())
            .chain(self.d.legend.iter().cloned())
            .collect();
        if !legend.is_empty() {
            let lines: Vec<String> = std::iter::once("Legend".to_owned())
                .chain(legend.iter().flat_map(|l| crate::labels::legend_lines(l)))
                .collect();
            let w = lines
                .iter()
                .map(|s| Text::rich(0.0, 0.0, LABEL_FONT, Face::Plain, s).width())
                .fold(0.0, f64::max)
                + 16.0;
            #[allow(clippy::cast_precision_loss, reason = "a few lines")]
            let h = 15.0 * lines.len() as f64 + 8.0;
            let y0 = bottom + 12.0;
            prims.push(Prim::Rect(Role::Legend, EDGE, y0, w, h));
            for (i, s) in lines.iter().enumerate() {
                #[allow(clippy::cast_precision_loss, reason = "a few lines")]
                let y = y0 + 16.0 + 15.0 * i as f64;
                let face = if i == 0 { Face::Plain } else { Face::Italic };
                // a wrapped formula's continuation is indented (SVG would drop the spaces)
                let body = s.trim_start();
                let indent = crate::metrics::width(&s[..s.len() - body.len()], LABEL_FONT);
                let x = EDGE + 8.0 + indent;
                prims.push(Prim::Text(Text::rich(x, y, LABEL_FONT, face, body)));
            }
            width = width.max(EDGE + w + EDGE);
            bottom = y0 + h;
        }
        let title = Text::new(EDGE, 20.0, 14.0, Face::Bold, &self.d.title);
        width = width.max(EDGE + title.width() + EDGE);
        prims.push(Prim::Text(title));
        // wires that reach the right edge are stretched to the final canvas edge
        let edge = width - EDGE;
        for p in &mut prims {
            if let Prim::Path(Role::Wire | Role::Wire2, segs) = p
                && let Some(Seg::L(x, y)) = segs.last().copied()
                && (x - right).abs() < 0.05
            {
                segs.push(Seg::L(edge, y));
            }
        }
        Scene {
            width,
            natural_width: width.max(natural + EDGE),
            height: bottom + EDGE,
            title: self.d.title.clone(),
            prims,
            legend: self.labels.entries.clone(),
            bundles: self.labels.bundles.clone(),
            hot,
        }
    }
}

fn prim_bottom(p: &Prim) -> f64 {
    match p {
        Prim::Rect(_, _, y, _, h) => y + h,
        Prim::Circle(_, _, cy, r) => cy + r,
        Prim::Text(t) => t.bbox().3,
        Prim::Path(_, segs) => segs
            .iter()
            .map(|s| match *s {
                Seg::M(_, y) | Seg::L(_, y) | Seg::C(_, _, _, _, _, y) => y,
                Seg::Z => 0.0,
            })
            .fold(0.0, f64::max),
    }
}
