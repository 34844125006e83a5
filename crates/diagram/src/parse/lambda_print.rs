//! Writing repeated blocks once, as λ-indexed repeats (`block Down repeat 4 as λ with … {`),
//! where the instances' bodies differ only by numbers affine in λ and by the value each
//! instance reads from the one before. The result is kept only when loading it gives the
//! circuit back, so the canonical form stays exact.

use crate::ir::Circuit;

/// The repeat index the printer writes.
const VAR: &str = "λ";

/// `text`, the canonical form of `c` with every instance written out, with each run of
/// top-level instances `block NAME [0 of N] { … }` … `[N−1 of N]` folded into one λ repeat
/// where that loads back to `c`.
pub(crate) fn fold_repeats(c: &Circuit, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut i = 0;
    while i < lines.len() {
        if let Some(folded) = try_fold(c, &lines, i) {
            let (new, len) = folded;
            lines = new;
            i += len;
        } else {
            i += 1;
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A top-level instance header `block NAME [I of N]REST {`: (NAME as written, I, N, REST).
fn header(line: &str) -> Option<(&str, u32, u32, &str)> {
    let rest = line.strip_prefix("block ")?.strip_suffix('{')?;
    let open = rest.rfind(" [")?;
    let (name, tail) = (&rest[..open], &rest[open + 2..]);
    let close = tail.find(']')?;
    let (nums, after) = (&tail[..close], &tail[close + 1..]);
    let (it, n) = nums.split_once(" of ")?;
    Some((name, it.parse().ok()?, n.parse().ok()?, after))
}

/// The folded lines and the length of the folded block, when the instances starting at
/// line `start` fold and load back to `c`.
fn try_fold(c: &Circuit, lines: &[String], start: usize) -> Option<(Vec<String>, usize)> {
    let (name, it0, n, rest) = header(&lines[start])?;
    if it0 != 0 || n < 2 {
        return None;
    }
    let mut bodies: Vec<Vec<String>> = Vec::new();
    let mut at = start;
    for it in 0..n {
        let (nm, i, nn, r) = header(lines.get(at)?)?;
        if nm != name || i != it || nn != n || r != rest {
            return None;
        }
        let end = (at + 1..lines.len()).find(|&k| lines[k] == "}")?;
        bodies.push(lines[at + 1..end].to_vec());
        at = end + 1;
    }
    let (body, with) = template(c, name, &bodies)?;
    let with = if with.is_empty() {
        String::new()
    } else {
        let binds: Vec<String> = with.iter().map(|(x, v)| format!("{x} = {v}")).collect();
        format!(" with {}", binds.join(", "))
    };
    let mut block = vec![format!("block {name} repeat {n} as {VAR}{with}{rest}{{")];
    block.extend(body);
    block.push("}".into());
    let mut cand = lines[..start].to_vec();
    cand.extend(block.iter().cloned());
    cand.extend_from_slice(&lines[at..]);
    let text = cand.join("\n") + "\n";
    let back = super::loader::load_text(&text).ok()?;
    (back == *c).then_some((cand, block.len()))
}

/// Splits a line into its indentation and tokens (a quoted name is one token).
fn tokens(line: &str) -> (String, Vec<String>) {
    let indent: String = line.chars().take_while(|c| *c == ' ').collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut prev = ' ';
    for ch in line[indent.len()..].chars() {
        if ch == '"' && prev != '\\' {
            quoted = !quoted;
        }
        if ch == ' ' && !quoted {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(ch);
        }
        prev = ch;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    (indent, out)
}

/// A name as the text format writes it: bare when it can be, else quoted.
fn written(name: &str) -> String {
    let bare = name.chars().next().is_some_and(super::lexer::is_name_start)
        && name.chars().all(super::lexer::is_name_char);
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// A template body and the `with` bindings (carried name, value outside) of its first
/// instance.
type Template = (Vec<String>, Vec<(String, String)>);

/// The template body, and the `with` bindings of the first instance.
fn template(c: &Circuit, name: &str, bodies: &[Vec<String>]) -> Option<Template> {
    let len = bodies[0].len();
    if bodies.iter().any(|b| b.len() != len)
        || bodies
            .iter()
            .flatten()
            .any(|l| l.contains(VAR) || l.contains('{') || l.contains('}'))
    {
        return None;
    }
    let block = name.trim_matches('"');
    // tokens per instance and line; references to the previous instance become carried names
    let mut toks: Vec<Vec<(String, Vec<String>)>> = Vec::new();
    let mut carried: Vec<Vec<Vec<bool>>> = Vec::new();
    for (it, body) in bodies.iter().enumerate() {
        let prev = it.checked_sub(1).map(|p| format!("\"{block}[{p}]."));
        let mut lines = Vec::new();
        let mut marks = Vec::new();
        for l in body {
            let (indent, mut ts) = tokens(l);
            let mut m = vec![false; ts.len()];
            if let Some(p) = &prev {
                for (t, mk) in ts.iter_mut().zip(&mut m) {
                    if let Some(local) =
                        t.strip_prefix(p.as_str()).and_then(|r| r.strip_suffix('"'))
                    {
                        *t = written(local);
                        *mk = true;
                    }
                }
            }
            lines.push((indent, ts));
            marks.push(m);
        }
        toks.push(lines);
        carried.push(marks);
    }
    // the first instance reads from outside what later ones carry: `with x = v`
    let mut with: Vec<(String, String)> = Vec::new();
    for k in 0..len {
        let n0 = toks[0][k].1.len();
        if toks
            .iter()
            .any(|inst| inst[k].1.len() != n0 || inst[k].0 != toks[0][k].0)
        {
            return None;
        }
        for (t, _) in carried[1][k].iter().enumerate().filter(|(_, c)| **c) {
            let x = toks[1][k].1[t].clone();
            let v = toks[0][k].1[t].clone();
            if v == x {
                continue;
            }
            match with.iter().find(|(a, _)| *a == x) {
                Some((_, w)) if *w != v => return None,
                Some(_) => {}
                None => with.push((x.clone(), v)),
            }
            toks[0][k].1[t] = x;
        }
    }
    // an axis tagged in some instances only gets its tag (its id) in all
    for k in 0..len {
        for t in 0..toks[0][k].1.len() {
            if toks.iter().all(|inst| inst[k].1[t].contains('#'))
                || !toks.iter().any(|inst| inst[k].1[t].contains('#'))
            {
                continue;
            }
            for inst in toks.iter_mut() {
                let tok = &mut inst[k].1[t];
                if !tok.contains('#') {
                    // the axis name inside `[c1_in`, `fanin(c1_in`, `c1_in]`, `c1_in)`
                    let start = tok.rfind(['[', '(']).map_or(0, |i| i + 1);
                    let end = tok[start..]
                        .find([']', ')'])
                        .map_or(tok.len(), |i| start + i);
                    let core = &tok[start..end];
                    let ids: Vec<usize> = (0..c.axes.len())
                        .filter(|&i| c.axes[i].name == core)
                        .collect();
                    let [id] = ids[..] else { return None };
                    tok.insert_str(end, &format!("#{id}"));
                }
            }
        }
    }
    let lines: Vec<Vec<String>> = toks
        .iter()
        .map(|inst| {
            inst.iter()
                .map(|(indent, ts)| format!("{indent}{}", ts.join(" ")))
                .collect()
        })
        .collect();
    let body = (0..len)
        .map(|k| {
            let per: Vec<&str> = lines.iter().map(|inst| inst[k].as_str()).collect();
            affine_line(&per)
        })
        .collect::<Option<Vec<String>>>()?;
    Some((body, with))
}

/// Splits text into runs of ASCII digits and of other characters.
fn runs(s: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    for i in 1..=b.len() {
        if i == b.len() || b[i].is_ascii_digit() != b[start].is_ascii_digit() {
            out.push((b[start].is_ascii_digit(), &s[start..i]));
            start = i;
        }
    }
    out
}

/// One template line for the instances' lines (λ = 1, 2, …): equal text, except digit runs
/// that are `a·λ + b`, written `{…}`.
fn affine_line(per: &[&str]) -> Option<String> {
    if per[0].is_empty() {
        return per.iter().all(|l| l.is_empty()).then(String::new);
    }
    let parts: Vec<Vec<(bool, &str)>> = per.iter().map(|l| runs(l)).collect();
    let n = parts[0].len();
    if parts.iter().any(|p| p.len() != n) {
        return None;
    }
    let mut out = String::new();
    for j in 0..n {
        let (digits, first) = parts[0][j];
        if parts.iter().all(|p| p[j] == (digits, first)) {
            out.push_str(first);
            continue;
        }
        if !digits || parts.iter().any(|p| !p[j].0) {
            return None;
        }
        let vals: Vec<i64> = parts
            .iter()
            .map(|p| {
                p[j].1
                    .parse()
                    .ok()
                    .filter(|v: &i64| v.to_string() == p[j].1)
            })
            .collect::<Option<_>>()?;
        let a = vals[1] - vals[0];
        let b = vals[0] - a;
        if vals
            .iter()
            .enumerate()
            .any(|(i, v)| a * (i as i64 + 1) + b != *v)
        {
            return None;
        }
        out.push('{');
        out.push_str(&affine(a, b));
        out.push('}');
    }
    Some(out)
}

/// `a·λ + b` as written: `λ`, `λ+1`, `5-λ`, `7*λ+11`.
fn affine(a: i64, b: i64) -> String {
    let lam = match a {
        1 => VAR.to_string(),
        -1 if b > 0 => return format!("{b}-{VAR}"),
        -1 => format!("-{VAR}"),
        _ => format!("{a}*{VAR}"),
    };
    match b {
        0 => lam,
        b if b > 0 => format!("{lam}+{b}"),
        b => format!("{lam}-{}", -b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_lines() {
        assert_eq!(
            affine_line(&[
                "x1 kx1#18 \"2c4\"",
                "x2 kx2#25 \"2c3\"",
                "x3 kx3#32 \"2c2\""
            ])
            .unwrap(),
            "x{λ} kx{λ}#{7*λ+11} \"2c{5-λ}\""
        );
        assert_eq!(affine_line(&["a1", "a2", "a4"]), None);
        assert_eq!(affine_line(&["a", "b", "c"]), None);
    }

    #[test]
    fn headers() {
        assert_eq!(
            header("block \"B(1,N)\" [2 of 3] shared {"),
            Some(("\"B(1,N)\"", 2, 3, " shared "))
        );
        assert_eq!(header("  block B [0 of 2] {"), None);
    }
}
