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
            Prim::Text(t) if t.face == Face::Italic || (t.face == Face::Bold && !wordy(t)) => {
                // labels and learned boxes in math mode, as a paper sets them
                let m = math_runs(&t.runs);
                let body = if t.face == Face::Bold {
                    // upright bold, as the paper sets its learned `L` and `★`
                    format!("$\\boldsymbol{{\\mathrm{{{m}}}}}$")
                } else {
                    format!("${m}$")
                };
                let _ = writeln!(
                    s,
                    "\\node[anchor=base west,inner sep=0pt,font=\\fontsize{{{}}}{{{}}}\\selectfont] at {} {{{body}}};",
                    num(t.size * 0.75),
                    num(t.size * 0.9),
                    pt(t.x, t.y)
                );
            }
            Prim::Text(t) => {
                let mut body = String::new();
                for r in &t.runs {
                    let txt = tex_escape(&r.text);
                    match r.shift {
                        0 => body.push_str(&txt),
                        k => {
                            let m = math(&r.text);
                            let mark = if k > 0 { '^' } else { '_' };
                            let _ = write!(body, "${{}}{mark}{{{m}}}$");
                        }
                    }
                }
                if t.face == Face::Bold {
                    body = format!("\\textbf{{{body}}}");
                }
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

/// Whether a text holds a word (three letters or more): a title or a block's name, set as
/// text rather than as a formula.
fn wordy(t: &crate::scene::Text) -> bool {
    t.runs.iter().any(|r| {
        r.text
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w.len() >= 3)
    })
}

/// Runs as one math-mode formula: each script run a `^{…}` or `_{…}` of the run before.
fn math_runs(runs: &[crate::scene::Run]) -> String {
    let mut o = String::new();
    for r in runs {
        let m = math(&r.text);
        match r.shift {
            0 => o.push_str(&m),
            k => {
                if o.is_empty() {
                    o.push_str("{}");
                }
                let mark = if k > 0 { '^' } else { '_' };
                let _ = write!(o, "{mark}{{{m}}}");
            }
        }
    }
    o
}

/// Text as math-mode TeX: a barred letter `\bar{x}`, digits after a name its subscript
/// (`c4` is `c_{4}`), Unicode scripts grouped (`H⁽²⁶⁾` is `H^{(26)}`), words set upright,
/// ★, Greek and the other symbols as math symbols.
fn math(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::new();
    let mut i = 0;
    let script = |c: char| -> Option<(char, char)> {
        let sup = match c {
            '⁰' => Some('0'),
            '¹' => Some('1'),
            '²' => Some('2'),
            '³' => Some('3'),
            '⁴'..='⁹' => char::from_u32(c as u32 - '⁴' as u32 + '4' as u32),
            '⁽' => Some('('),
            '⁾' => Some(')'),
            '⁺' => Some('+'),
            '⁻' => Some('-'),
            _ => None,
        };
        if let Some(d) = sup {
            return Some(('^', d));
        }
        match c {
            '₀'..='₉' => char::from_u32(c as u32 - '₀' as u32 + '0' as u32).map(|d| ('_', d)),
            '₊' => Some(('_', '+')),
            _ => None,
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if let Some((mark, _)) = script(c) {
            let mut grp = String::new();
            while let Some((m, d)) = chars.get(i).and_then(|c| script(*c)) {
                if m != mark {
                    break;
                }
                grp.push(d);
                i += 1;
            }
            let _ = write!(o, "{mark}{{{grp}}}");
            continue;
        }
        if chars.get(i + 1) == Some(&'\u{304}') {
            let _ = write!(o, "\\bar{{{c}}}");
            i += 2;
            continue;
        }
        if c.is_ascii_alphabetic() {
            let mut word = String::new();
            while let Some(&c) = chars.get(i).filter(|c| c.is_ascii_alphabetic()) {
                word.push(c);
                i += 1;
            }
            match word.len() {
                1 => o.push_str(&word),
                2 => {
                    let _ = write!(o, "\\mathit{{{word}}}");
                }
                _ => {
                    let _ = write!(o, "\\mathrm{{{word}}}");
                }
            }
            // digits right after a name are its index
            let mut digits = String::new();
            while let Some(&d) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                digits.push(d);
                i += 1;
            }
            if !digits.is_empty() {
                let _ = write!(o, "_{{{digits}}}");
            }
            continue;
        }
        i += 1;
        match c {
            // math spacing already sets a relation or operation apart
            ' ' if [chars.get(i), i.checked_sub(2).and_then(|j| chars.get(j))]
                .into_iter()
                .flatten()
                .any(|c| "=+-·×→<>".contains(*c)) => {}
            ' ' => o.push_str("\\ "),
            '*' => o.push_str("{*}"),
            '\\' => o.push_str("\\backslash "),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                o.push('\\');
                o.push(c);
            }
            '^' => o.push_str("\\hat{}"),
            '~' => o.push_str("\\sim "),
            '\'' => o.push('\''),
            _ if c.is_ascii() => o.push(c),
            '…' => o.push_str("\\ldots "),
            '−' => o.push('-'),
            _ => o.push_str(symbol(c)),
        }
    }
    o
}

/// The math-mode command of a symbol the drawings use.
fn symbol(c: char) -> &'static str {
    match c {
        '★' => "\\star ",
        '⌊' => "\\lfloor ",
        '⌋' => "\\rfloor ",
        '·' => "\\cdot ",
        '×' => "\\times ",
        '→' => "\\to ",
        '𝔼' => "\\mathbb{E}",
        'Σ' => "\\Sigma ",
        'σ' => "\\sigma ",
        'λ' => "\\lambda ",
        'μ' => "\\mu ",
        '⊙' => "\\odot ",
        '◁' => "\\triangleleft ",
        _ => "?",
    }
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
            _ => o.push_str(text_symbol(c)),
        }
    }
    o
}

/// The math-mode form of a symbol in running text.
fn text_symbol(c: char) -> &'static str {
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
        "\\documentclass[tikz,border=2pt]{{standalone}}\n\\usepackage[T1]{{fontenc}}\n\\usepackage{{amsmath,amssymb}}\n\\begin{{document}}\n{}\\end{{document}}\n",
        write(scene)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Text;

    #[test]
    fn labels_are_math() {
        assert_eq!(math("x̄₄"), "\\bar{x}_{4}");
        assert_eq!(math("H⁽²⁶⁾"), "H^{(26)}");
        assert_eq!(math("c4 = 16·c"), "c_{4}=16\\cdot c");
        assert_eq!(math("k²"), "k^{2}");
        assert_eq!(math("★3"), "\\star 3");
        assert_eq!(math("λ"), "\\lambda ");
        assert_eq!(math("batch b"), "\\mathrm{batch}\\ b");
        let l = Text::rich(0.0, 0.0, 11.0, Face::Bold, "L^Q_+");
        assert_eq!(math_runs(&l.runs), "L^{Q}_{+}");
    }

    #[test]
    fn labels_are_set_in_math_mode_and_titles_as_text() {
        let mut scene = Scene::default();
        scene
            .prims
            .push(Prim::Text(Text::rich(0.0, 0.0, 11.0, Face::Italic, "x̄₄")));
        scene.prims.push(Prim::Text(Text::new(
            0.0,
            0.0,
            14.0,
            Face::Bold,
            "unet: Up",
        )));
        let t = write(&scene);
        assert!(t.contains("{$\\bar{x}_{4}$}"), "{t}");
        assert!(t.contains("\\textbf{unet: Up}"), "{t}");
    }
}
