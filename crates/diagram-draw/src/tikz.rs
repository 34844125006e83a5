//! TikZ export of a scene, for LaTeX users. Coordinates are in points, y pointing down.

use std::fmt::Write as _;

use crate::scene::{Face, Prim, Role, Scene, Seg, num};

fn style(role: Role) -> &'static str {
    match role {
        Role::Wire | Role::Pict => "draw,line width=0.6pt",
        Role::Wire2 => "draw,double,double distance=1pt,line width=0.5pt",
        Role::Sep => "draw,dashed,line width=0.5pt",
        Role::Op => "draw,fill=blue!6,line width=0.5pt",
        Role::Learned => "draw,fill=blue!10,line width=1.2pt",
        Role::Wiring => "draw=gray,dashed,line width=0.4pt",
        Role::BlockBox => "draw,fill=green!20,line width=0.5pt",
        Role::BlockBg => "draw=violet!40,fill=violet!10,rounded corners=2pt",
        Role::Marker => "draw,fill=yellow!20,line width=0.5pt",
        Role::PictFill | Role::Dot => "fill",
        Role::Bracket => "draw,line width=0.8pt",
        Role::Legend => "draw=gray,fill=gray!8,rounded corners=2pt",
    }
}

/// Every role, so the picture can name a style for each.
const ROLES: [Role; 14] = [
    Role::Wire,
    Role::Wire2,
    Role::Sep,
    Role::Op,
    Role::Learned,
    Role::Wiring,
    Role::BlockBox,
    Role::BlockBg,
    Role::Marker,
    Role::Pict,
    Role::PictFill,
    Role::Dot,
    Role::Bracket,
    Role::Legend,
];

/// The named TikZ style of a role (`nc wire`, `nc op`, ...), defined once in the picture's
/// options, so a paper restyles a figure by editing one line per role.
fn name(role: Role) -> String {
    let n = match role {
        Role::Wire => "wire",
        Role::Wire2 => "wire2",
        Role::Sep => "separator",
        Role::Op => "op",
        Role::Learned => "learned",
        Role::Wiring => "wiring",
        Role::BlockBox => "block",
        Role::BlockBg => "block background",
        Role::Marker => "marker",
        Role::Pict => "pictogram",
        Role::PictFill => "pictogram fill",
        Role::Dot => "dot",
        Role::Bracket => "bracket",
        Role::Legend => "legend",
    };
    format!("nc {n}")
}

fn pt(x: f64, y: f64) -> String {
    format!("({},{})", num(x), num(-y))
}

/// Writes a scene as a `tikzpicture` (1 px = 1 pt).
///
/// ```
/// use nc_diagram_draw::scene::Scene;
/// let t = nc_diagram_draw::tikz::write(&Scene::default());
/// assert!(t.contains("tikzpicture"));
/// ```
#[must_use]
pub fn write(scene: &Scene) -> String {
    let mut s = String::from("\\begin{tikzpicture}[x=1pt,y=1pt,font=\\ttfamily");
    for r in ROLES {
        let _ = write!(s, ",\n  {}/.style={{{}}}", name(r), style(r));
    }
    s.push_str("]\n");
    for p in &scene.prims {
        match p {
            Prim::Path(role, segs) => {
                let _ = write!(s, "\\path[{}] ", name(*role));
                for sg in segs {
                    match *sg {
                        Seg::M(x, y) => s.push_str(&pt(x, y)),
                        Seg::L(x, y) => {
                            let _ = write!(s, " -- {}", pt(x, y));
                        }
                        Seg::C(a, b, c, d, x, y) => {
                            let _ = write!(
                                s,
                                " .. controls {} and {} .. {}",
                                pt(a, b),
                                pt(c, d),
                                pt(x, y)
                            );
                        }
                        Seg::Z => s.push_str(" -- cycle"),
                    }
                }
                s.push_str(";\n");
            }
            Prim::Rect(role, x, y, w, h) => {
                let _ = writeln!(
                    s,
                    "\\path[{}] {} rectangle {};",
                    name(*role),
                    pt(*x, *y),
                    pt(x + w, y + h)
                );
            }
            Prim::Circle(role, cx, cy, r) => {
                let _ = writeln!(
                    s,
                    "\\path[{}] {} circle ({});",
                    name(*role),
                    pt(*cx, *cy),
                    num(*r)
                );
            }
            Prim::Text(t) => {
                let mut body = String::new();
                for r in &t.runs {
                    let txt = tex_escape(&r.text);
                    match r.shift {
                        0 => body.push_str(&txt),
                        k if k > 0 => {
                            let _ = write!(body, "\\textsuperscript{{{txt}}}");
                        }
                        _ => {
                            let _ = write!(body, "\\textsubscript{{{txt}}}");
                        }
                    }
                }
                let body = match t.face {
                    Face::Plain => body,
                    Face::Bold => format!("\\textbf{{{body}}}"),
                    Face::Italic => format!("\\textit{{{body}}}"),
                };
                let _ = writeln!(
                    s,
                    "\\node[anchor=base west,inner sep=0pt,font=\\fontsize{{{}}}{{{}}}\\selectfont\\ttfamily] at {} {{{body}}};",
                    num(t.size * 0.75),
                    num(t.size * 0.9),
                    pt(t.x, t.y)
                );
            }
        }
    }
    s.push_str("\\end{tikzpicture}\n");
    s
}

fn tex_escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // a letter with a combining macron (x̄) is a barred math letter
        if chars.get(i + 1) == Some(&'\u{304}') {
            o.push_str(&format!("$\\bar{{{c}}}$"));
            i += 2;
            continue;
        }
        i += 1;
        match c {
            '\\' => o.push_str("\\textbackslash{}"),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                o.push('\\');
                o.push(c);
            }
            '^' => o.push_str("\\^{}"),
            '~' => o.push_str("\\~{}"),
            '₀'..='₉' => o.push_str(&format!("$_{}$", c as u32 - '₀' as u32)),
            '⁰' => o.push_str("$^0$"),
            '¹' => o.push_str("$^1$"),
            '²' => o.push_str("$^2$"),
            '³' => o.push_str("$^3$"),
            '⁴'..='⁹' => o.push_str(&format!("$^{}$", c as u32 - '⁴' as u32 + 4)),
            '⁽' => o.push_str("$^($"),
            '⁾' => o.push_str("$^)$"),
            _ if c.is_ascii() => o.push(c),
            _ => o.push_str(math(c)),
        }
    }
    o
}

/// The math-mode form of a symbol the drawings use.
fn math(c: char) -> &'static str {
    match c {
        '★' => "$\\star$",
        '⌊' => "$\\lfloor$",
        '⌋' => "$\\rfloor$",
        '·' => "$\\cdot$",
        '×' => "$\\times$",
        '→' => "$\\to$",
        '…' => "\\ldots{}",
        '𝔼' => "$\\mathbb{E}$",
        'Σ' => "$\\Sigma$",
        'σ' => "$\\sigma$",
        'λ' => "$\\lambda$",
        '⊙' => "$\\odot$",
        '◁' => "$\\triangleleft$",
        '−' => "-",
        _ => "?",
    }
}

/// A complete LaTeX document holding the picture (the `standalone` class, cropped to it).
#[must_use]
pub fn document(scene: &Scene) -> String {
    format!(
        "\\documentclass[tikz,border=2pt]{{standalone}}\n\\usepackage[T1]{{fontenc}}\n\\usepackage{{amssymb}}\n\\begin{{document}}\n{}\\end{{document}}\n",
        write(scene)
    )
}
