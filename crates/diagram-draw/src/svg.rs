//! Hand-written SVG: byte-for-byte stable, a few kilobytes, styled by one small stylesheet.

use std::fmt::Write as _;

use crate::metrics::FONT_FAMILY;
use crate::scene::{Face, Prim, Scene, Seg, Text, num};

/// The stylesheet every diagram carries.
const STYLE: &str = "\
.w,.w2,.pi,.br{fill:none;stroke:#222;stroke-width:1.2}\
.w2{stroke-width:4.2}.w2i{fill:none;stroke:#fff;stroke-width:1.6}\
.sep{fill:none;stroke:#222;stroke-width:1.1;stroke-dasharray:5 3}\
.op{fill:#e8ecf4;stroke:#333;stroke-width:1}.lrn{fill:#dde7f3;stroke:#111;stroke-width:2.2}\
.ctr{fill:none;stroke:#999;stroke-width:.8;stroke-dasharray:3 3}\
.blk{fill:#cfe8b0;stroke:#333;stroke-width:1}.bg{fill:#c8c0e8;fill-opacity:.35;stroke:#9a90c0;stroke-width:1}\
.mk{fill:#fff6c8;stroke:#333;stroke-width:1}.lg{fill:#eef0ee;stroke:#999;stroke-width:1}\
.pf{fill:#222}.dot{fill:#222}.br{stroke-width:1.6}\
text{font-family:FONT;fill:#111;white-space:pre}.b{font-weight:bold}.i{font-style:italic}";

/// Writes a scene as an SVG document.
///
/// ```
/// use nc_diagram_draw::scene::Scene;
/// let s = nc_diagram_draw::svg::write(&Scene { width: 10.0, height: 5.0, ..Scene::default() });
/// assert!(s.starts_with("<svg"));
/// ```
#[must_use]
pub fn write(scene: &Scene) -> String {
    let mut s = String::with_capacity(4096);
    let (w, h) = (num(scene.width), num(scene.height));
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
    );
    let _ = writeln!(s, "<title>{}</title>", esc(&scene.title));
    let _ = writeln!(s, "<style>{}</style>", STYLE.replace("FONT", FONT_FAMILY));
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
    for p in &scene.prims {
        match p {
            Prim::Path(role, segs) => {
                let d = path_d(segs);
                let _ = writeln!(s, "<path class=\"{}\" d=\"{d}\"/>", role.class());
                if matches!(role, crate::scene::Role::Wire2) {
                    let _ = writeln!(s, "<path class=\"w2i\" d=\"{d}\"/>");
                }
            }
            Prim::Rect(role, x, y, rw, rh) => {
                let rx = if matches!(
                    role,
                    crate::scene::Role::BlockBg | crate::scene::Role::Legend
                ) {
                    " rx=\"4\""
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{rx}/>",
                    role.class(),
                    num(*x),
                    num(*y),
                    num(*rw),
                    num(*rh)
                );
            }
            Prim::Circle(role, cx, cy, r) => {
                let _ = writeln!(
                    s,
                    "<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
                    role.class(),
                    num(*cx),
                    num(*cy),
                    num(*r)
                );
            }
            Prim::Text(t) => text(&mut s, t),
        }
    }
    s.push_str("</svg>\n");
    s
}

fn text(s: &mut String, t: &Text) {
    let class = match t.face {
        Face::Plain => "",
        Face::Bold => " class=\"b\"",
        Face::Italic => " class=\"i\"",
    };
    // the bbox is recorded so checks need no font engine
    let (x0, y0, x1, y1) = t.bbox();
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{class} data-bbox=\"{} {} {} {}\">",
        num(t.x),
        num(t.y),
        num(t.size),
        num(x0),
        num(y0),
        num(x1),
        num(y1)
    );
    // each run's tspan carries the step from the baseline offset so far to its own; a reset
    // on an empty tspan would be dropped (renderers apply dy only to characters), and the
    // text after a subscript would stay lowered
    let mut offset = 0.0;
    for r in &t.runs {
        let target = match r.shift.signum() {
            1 => -0.45 * t.size,
            -1 => 0.25 * t.size,
            _ => 0.0,
        };
        if r.shift == 0 && offset == 0.0 {
            s.push_str(&overbars(&r.text));
        } else if r.shift == 0 {
            // xml:space keeps the space that opens it, which renderers otherwise drop
            let _ = write!(
                s,
                "<tspan dy=\"{}\" xml:space=\"preserve\">{}</tspan>",
                num(target - offset),
                overbars(&r.text)
            );
        } else {
            let _ = write!(
                s,
                "<tspan dy=\"{}\" font-size=\"{}\">{}</tspan>",
                num(target - offset),
                num(t.run_size(r)),
                overbars(&r.text)
            );
        }
        offset = target;
    }
    s.push_str("</text>\n");
}

/// SVG path data with absolute commands.
#[must_use]
pub fn path_d(segs: &[Seg]) -> String {
    let mut d = String::new();
    for (i, sg) in segs.iter().enumerate() {
        if i > 0 {
            d.push(' ');
        }
        match *sg {
            Seg::M(x, y) => {
                let _ = write!(d, "M{} {}", num(x), num(y));
            }
            Seg::L(x, y) => {
                let _ = write!(d, "L{} {}", num(x), num(y));
            }
            Seg::C(a, b, c, e, x, y) => {
                let _ = write!(
                    d,
                    "C{} {} {} {} {} {}",
                    num(a),
                    num(b),
                    num(c),
                    num(e),
                    num(x),
                    num(y)
                );
            }
            Seg::Z => d.push('Z'),
        }
    }
    d
}

/// Escapes XML text.
#[must_use]
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes text and sets a combining macron (`x̄`) as an overline, which fonts render reliably.
fn overbars(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars.get(i + 1) == Some(&'\u{304}') {
            let _ = write!(
                o,
                "<tspan text-decoration=\"overline\">{}</tspan>",
                esc(&chars[i].to_string())
            );
            i += 2;
        } else {
            o.push_str(&esc(&chars[i].to_string()));
            i += 1;
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Face;

    /// After a subscript the baseline returns on the next characters themselves: a reset on an
    /// empty tspan is ignored by renderers, which left the rest of a legend line lowered onto
    /// the line below.
    #[test]
    fn text_after_a_subscript_returns_to_the_baseline() {
        let mut s = String::new();
        text(
            &mut s,
            &Text::rich(0.0, 10.0, 10.0, Face::Plain, "n_2 = (H_2, W_2)"),
        );
        assert!(!s.contains("\"></tspan>"), "an empty tspan: {s}");
        let dys: Vec<f64> = s
            .split("dy=\"")
            .skip(1)
            .map(|d| d.split('"').next().unwrap().parse().unwrap())
            .collect();
        // down, up, down, up, down, up: back on the baseline at the end
        assert_eq!(dys.len(), 6, "{s}");
        assert!(dys.iter().sum::<f64>().abs() < 1e-9, "{dys:?}");
        assert!(s.contains("xml:space=\"preserve\"> = ("), "{s}");
    }
}
