//! Compact wire labels and legend lines.
//!
//! Axis names grow a mark per operation (`'` after each window, `^` after each upsampling),
//! so a deep U-Net has wires named `H''''''''''''''^''^''^''^''`: wider than the boxes they
//! connect, and repeated in every data column. Such a name is drawn as its base with the
//! number of marks as a superscript, `H⁽²²⁾`, and its legend line uses the same short name.
//! Long legend formulas wrap, so the legend never sets the drawing's width.

use nc_diagram::ir::{Circuit, Func};

use crate::model::OpKind;

/// Marks after the base up to which a name is drawn as it is.
const MAX_MARKS: usize = 2;
/// Glyphs per legend line before a formula wraps.
pub const LEGEND_WRAP: usize = 64;

/// `n` in the digits of `table` (superscript or subscript).
fn digits(n: usize, table: [char; 10]) -> String {
    n.to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).and_then(|d| table.get(d as usize)))
        .collect()
}

/// `n` in superscript digits: `26` → `²⁶`.
pub(crate) fn superscript(n: usize) -> String {
    digits(n, ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'])
}

/// `n` in subscript digits: `2` → `₂`.
pub(crate) fn subscript(n: usize) -> String {
    digits(n, ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'])
}

/// The name a wire label is drawn with: itself, or its base and mark count when it carries
/// more than two marks.
///
/// ```
/// use nc_diagram_draw::labels::compact;
/// assert_eq!(compact("H''"), "H''");
/// assert_eq!(compact("kH'''^''"), "kH⁽⁶⁾");
/// assert_eq!(compact("c2/g"), "c2/g");
/// ```
#[must_use]
pub fn compact(label: &str) -> String {
    let Some(at) = label.find(['\'', '^']) else {
        return label.to_owned();
    };
    let (base, marks) = label.split_at(at);
    let all_marks = marks.chars().all(|c| c == '\'' || c == '^');
    let n = marks.chars().count();
    if !all_marks || n <= MAX_MARKS {
        return label.to_owned();
    }
    format!("{base}⁽{}⁾", superscript(n))
}

/// A legend line `name = formula` with its name compacted, wrapped at spaces into lines of
/// at most [`LEGEND_WRAP`] glyphs (where a space allows); continuation lines are indented.
#[must_use]
pub fn legend_lines(line: &str) -> Vec<String> {
    let line = match line.split_once(" = ") {
        Some((name, formula)) => format!("{} = {formula}", compact(name)),
        None => line.to_owned(),
    };
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let len = crate::metrics::glyphs(&cur) + 1 + crate::metrics::glyphs(word);
        if !cur.trim().is_empty() && len > LEGEND_WRAP {
            out.push(std::mem::take(&mut cur));
            cur.push_str("    ");
        } else if !cur.is_empty() && !cur.ends_with("    ") {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    out.push(cur);
    out
}

/// A constant scale as a reader writes it: `8^-0.5` for 1/√8 (an imported attention's
/// 0.35355339…), `1/4` for a reciprocal, otherwise at most 4 significant digits.
pub(crate) fn scale_label(s: f64) -> String {
    // a whole number from 2 to `max`, to f32 precision (imported weights are f32)
    let whole = |x: f64, max: f64| {
        let n = x.round();
        ((2.0..=max).contains(&n) && (x - n).abs() < 1e-6 * x).then_some(n)
    };
    if s > 0.0 {
        let reciprocal = whole(1.0 / s, 1000.0);
        if let Some(n) = whole(1.0 / (s * s), 65536.0).filter(|_| reciprocal.is_none()) {
            return format!("{n}^-0.5");
        }
        if let Some(n) = reciprocal {
            return format!("1/{n}");
        }
    }
    let text = format!("{s:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.parse::<f64>().ok() == Some(s) || s.abs() >= 1e-3 {
        text.to_string()
    } else {
        format!("{s:.3e}")
    }
}

/// The box of an elementwise map. A scale by a size that one axis has (`m/h`, the head width
/// `k`) is written with that axis's name, as the paper writes `k^-1/2`.
pub(crate) fn map_kind(c: &Circuit, f: &Func) -> OpKind {
    match f {
        Func::Relu => OpKind::Elementwise("R".into()),
        Func::Tanh => OpKind::Elementwise("tanh".into()),
        Func::Sigmoid => OpKind::Elementwise("σ".into()),
        Func::Gelu => OpKind::Elementwise("G".into()),
        Func::Exp => OpKind::Elementwise("exp".into()),
        Func::Square => OpKind::Elementwise("x²".into()),
        Func::Scale(s) => OpKind::Scale(scale_label(*s)),
        Func::ScaleBySize(e, p) => {
            let same: Vec<&str> = (c.axes.iter())
                .filter(|a| a.size == *e)
                .map(|a| a.name.as_str())
                .collect();
            let unique = |n: &str| c.axes.iter().filter(|a| a.name == n).count() == 1;
            match same.as_slice() {
                [n] if unique(n) => OpKind::Scale(format!("{n}^{p}")),
                _ => OpKind::Scale(format!("{e}^{p}")),
            }
        }
        // newer maps (sqrt, SiLU, erf, sin, …) are labelled by their text-format name
        #[allow(unreachable_patterns)]
        f => OpKind::Elementwise(f.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_scales_read_as_a_person_writes_them() {
        assert_eq!(scale_label(1.0 / 8f64.sqrt()), "8^-0.5");
        assert_eq!(scale_label(f64::from(1.0 / 8f32.sqrt())), "8^-0.5");
        assert_eq!(scale_label(0.25), "1/4");
        assert_eq!(scale_label(0.5), "1/2");
        assert_eq!(scale_label(2.0), "2");
        assert_eq!(scale_label(-1.0), "-1");
        assert_eq!(scale_label(0.123456), "0.1235");
        assert_eq!(scale_label(1e-6), "1.000e-6");
    }

    #[test]
    fn long_names_get_their_mark_count() {
        assert_eq!(compact("H''''''''''''''^''^''^''^''"), "H⁽²⁶⁾");
        assert_eq!(compact("W'''"), "W⁽³⁾");
        assert_eq!(compact("x̄"), "x̄");
    }

    #[test]
    fn legend_formulas_wrap() {
        let f = format!("H'''''' = {}", "(S - 2 - 2)//2 + 1 ".repeat(8).trim_end());
        let lines = legend_lines(&f);
        assert!(lines.len() > 1);
        assert!(lines[0].starts_with("H⁽⁶⁾ = "));
        for l in &lines {
            assert!(crate::metrics::glyphs(l) <= LEGEND_WRAP, "{l}");
        }
        assert!(lines[1].starts_with("    "));
        assert_eq!(legend_lines("b = 2"), vec!["b = 2".to_owned()]);
    }
}
