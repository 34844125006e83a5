//! Loading and saving circuits: the text format of [`crate::parse`] (`.ncd`), and the IR as
//! JSON for interchange.
//!
//! [`load`] reads either: a file whose first non-space character is `{` is JSON. [`save`]
//! writes the text format, [`save_json`] the JSON. Both loaders validate every reference and
//! the execution order before returning a circuit.
//!
//! ```
//! use nc_diagram::parse::text::{load, save};
//! let c = load(
//!     "circuit tiny
//!      input x [b i=4]
//!      y = linear+ x i -> o=2 ; relu
//!      output y",
//! )
//! .unwrap();
//! assert_eq!(c.params.len(), 2);
//! assert_eq!(load(&save(&c)).unwrap(), c);
//! ```

use crate::ir::{Circuit, Op};
pub use crate::parse::error::TextError;

/// The circuit in the text format: canonical, deterministic, one line per operation, so two
/// saved files diff line by line. [`load`] gives the same circuit back, ids included, for
/// every circuit built with [`crate::builder::Builder`].
///
/// ```
/// let c = nc_diagram::zoo::mlp();
/// let text = nc_diagram::parse::text::save(&c);
/// assert!(text.contains("L1 = linear+ flatten p -> f1\n"));
/// assert_eq!(nc_diagram::parse::text::load(&text).unwrap(), c);
/// ```
pub fn save(c: &Circuit) -> String {
    super::lambda_print::fold_repeats(c, &super::printer::print(c))
}

/// Loads and validates a circuit from the text format, or from JSON when the text starts
/// with `{`. Errors name the line and column, what was expected and what was found.
///
/// ```
/// let e = nc_diagram::parse::text::load("circuit c\ninput x [b]\ny = softmax x over\n");
/// assert_eq!(
///     e.unwrap_err().to_string(),
///     "3:19: expected an axis name after 'over', found end of line"
/// );
/// ```
pub fn load(text: &str) -> Result<Circuit, TextError> {
    if text.trim_start().starts_with('{') {
        return load_json(text);
    }
    let c = super::loader::load_text(text)?;
    validate(&c)?;
    Ok(c)
}

/// The IR as pretty-printed JSON (stable key order), for other tools.
pub fn save_json(c: &Circuit) -> String {
    let mut s = serde_json::to_string_pretty(c).unwrap_or_default();
    s.push('\n');
    s
}

/// Loads and validates a circuit from its JSON form.
///
/// JSON can state any circuit, typed or not, so besides [`validate`] the circuit must be
/// exactly what its operations build: it is written in the text format and loaded back
/// through the [`crate::builder`], and the two must agree. A circuit accepted here is as
/// safe to run as one built in Rust.
pub fn load_json(text: &str) -> Result<Circuit, TextError> {
    let c: Circuit = serde_json::from_str(text).map_err(|e| TextError::Syntax {
        line: e.line(),
        column: e.column(),
        msg: e.to_string(),
    })?;
    validate(&c)?;
    let as_text = save(&c);
    let rebuilt = super::loader::load_text(&as_text).map_err(|e| {
        let line = match &e {
            TextError::Syntax { line, .. } => as_text.lines().nth(line.saturating_sub(1)),
            TextError::Invalid(_) => None,
        };
        TextError::Invalid(format!(
            "the circuit does not type-check: {e}{}",
            line.map(|l| format!(" (in its text form: `{}`)", l.trim()))
                .unwrap_or_default()
        ))
    })?;
    if let Some(d) = first_difference(&c, &rebuilt) {
        return Err(TextError::Invalid(format!(
            "the circuit is not what its operations build: {d}"
        )));
    }
    Ok(c)
}

/// Where `c` differs from `built`, the same circuit rebuilt from its operations.
fn first_difference(c: &Circuit, built: &Circuit) -> Option<String> {
    fn first<T: PartialEq>(a: &[T], b: &[T]) -> Option<usize> {
        (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))
    }
    if c.name != built.name || c.sizes != built.sizes || c.constraints != built.constraints {
        return Some("the header (name, sizes or constraints)".into());
    }
    if let Some(i) = first(&c.axes, &built.axes) {
        return Some(format!("axis {i}"));
    }
    if let Some(i) = first(&c.nodes, &built.nodes) {
        let name = c.nodes.get(i).map_or("", |n| n.name.as_str());
        return Some(format!("op {i} (`{name}`)"));
    }
    if let Some(i) = first(&c.values, &built.values) {
        let name = c.values.get(i).map_or("", |v| v.name.as_str());
        return Some(format!("value {i} (`{name}`)"));
    }
    if let Some(i) = first(&c.params, &built.params) {
        let name = c.params.get(i).map_or("", |p| p.name.as_str());
        return Some(format!("parameter {i} (`{name}`)"));
    }
    if let Some(i) = first(&c.blocks, &built.blocks) {
        return Some(format!("block {i}"));
    }
    if c.inputs != built.inputs || c.outputs != built.outputs {
        return Some("the inputs or outputs".into());
    }
    None
}

/// Checks ids, references and that every node reads only values computed before it.
pub fn validate(c: &Circuit) -> Result<(), TextError> {
    let bad = |m: String| Err(TextError::Invalid(m));
    // the text format can write `\n` in a quoted name but no other control character
    let names = std::iter::once(("circuit", &c.name))
        .chain(c.sizes.keys().map(|n| ("size", n)))
        .chain(c.axes.iter().map(|a| ("axis", &a.name)))
        .chain(c.values.iter().map(|v| ("value", &v.name)))
        .chain(c.params.iter().map(|p| ("parameter", &p.name)))
        .chain(c.nodes.iter().map(|n| ("op", &n.name)))
        .chain(c.blocks.iter().map(|b| ("block", &b.name)))
        .chain(c.nodes.iter().filter_map(|n| match &n.op {
            Op::Save(l) | Op::Load(l) => Some(("label", l)),
            _ => None,
        }));
    for (what, name) in names {
        if name.chars().any(|ch| ch.is_control() && ch != '\n') {
            return bad(format!(
                "{what} name `{}` holds a control character",
                crate::names::escape_control(name)
            ));
        }
    }
    for (i, a) in c.axes.iter().enumerate() {
        if a.id.ix() != i {
            return bad(format!("axis {i} has id {}", a.id.0));
        }
    }
    let axis_ok = |a: &crate::ir::AxisId| a.ix() < c.axes.len();
    for (i, v) in c.values.iter().enumerate() {
        if v.id.ix() != i {
            return bad(format!("value {i} has id {}", v.id.0));
        }
        if let Some(a) = v.ty.axes.iter().find(|a| !axis_ok(a)) {
            return bad(format!("value `{}` uses unknown axis {}", v.name, a.0));
        }
    }
    for (i, p) in c.params.iter().enumerate() {
        if p.id.ix() != i || !p.axes.iter().all(axis_ok) {
            return bad(format!("parameter `{}` is malformed", p.name));
        }
    }
    for (i, b) in c.blocks.iter().enumerate() {
        // a parent must come first, which also rules out loops
        if b.id.ix() != i || b.parent.is_some_and(|p| p.ix() >= i) {
            return bad(format!("block {i} (`{}`) is malformed", b.name));
        }
        if b.nodes.iter().any(|n| n.ix() >= c.nodes.len()) {
            return bad(format!("block `{}` lists an unknown node", b.name));
        }
    }
    let mut ready = vec![false; c.values.len()];
    for v in &c.inputs {
        match ready.get_mut(v.ix()) {
            Some(r) => *r = true,
            None => return bad(format!("unknown input value {}", v.0)),
        }
    }
    for (i, n) in c.nodes.iter().enumerate() {
        if n.id.ix() != i {
            return bad(format!("node {i} has id {}", n.id.0));
        }
        for v in &n.inputs {
            if !ready.get(v.ix()).copied().unwrap_or(false) {
                return bad(format!(
                    "op `{}` reads value {} before it is computed",
                    n.name, v.0
                ));
            }
        }
        if n.params.iter().any(|p| p.ix() >= c.params.len()) {
            return bad(format!("op `{}` uses an unknown parameter", n.name));
        }
        if n.block.is_some_and(|b| b.ix() >= c.blocks.len()) {
            return bad(format!("op `{}` is in an unknown block", n.name));
        }
        if !op_axes(&n.op).iter().all(axis_ok) {
            return bad(format!("op `{}` uses an unknown axis", n.name));
        }
        for v in &n.outputs {
            match ready.get_mut(v.ix()) {
                Some(r) => *r = true,
                None => return bad(format!("op `{}` writes unknown value {}", n.name, v.0)),
            }
        }
    }
    if let Some(v) = c
        .outputs
        .iter()
        .find(|v| !ready.get(v.ix()).copied().unwrap_or(false))
    {
        return bad(format!("output value {} is never computed", v.0));
    }
    Ok(())
}

/// Every axis an operation names.
fn op_axes(op: &Op) -> Vec<crate::ir::AxisId> {
    match op {
        Op::Linear(l) => l
            .inputs
            .iter()
            .chain(&l.outputs)
            .chain(&l.groups)
            .copied()
            .collect(),
        Op::Einsum(e) => e
            .operands
            .iter()
            .flatten()
            .chain(&e.output)
            .flat_map(|t| std::iter::once(t.axis).chain(t.parts.iter().copied()))
            .collect(),
        Op::Softmax(s) => s.over.clone(),
        Op::Reduce(r) => r.over.clone(),
        Op::Permute(p) => p.order.clone(),
        Op::Norm(n) => n.stats.iter().chain(&n.affine_axes).copied().collect(),
        Op::Window(w) | Op::WindowT(w) => w
            .axes
            .iter()
            .flat_map(|w| [w.input, w.output, w.kernel])
            .collect(),
        Op::Concat(k) => k.inputs.iter().chain([&k.output]).copied().collect(),
        Op::Reshape(r) => r.from.iter().chain(&r.to).copied().collect(),
        Op::Embed(e) => std::iter::once(e.vocab)
            .chain(e.features.iter().copied())
            .collect(),
        Op::Mask(m) => vec![m.rows, m.cols],
        Op::Gather(g) => vec![g.axis],
        Op::RmsNorm(r) => r.over.clone(),
        Op::Rope(r) => vec![r.pos, r.dim],
        Op::TopK(t) => vec![t.over],
        Op::Select(s) => vec![s.axis],
        Op::Sinusoid(s) => vec![s.pos, s.dim],
        Op::Split(s) => std::iter::once(s.axis)
            .chain(s.parts.iter().copied())
            .collect(),
        Op::Map(_)
        | Op::Add
        | Op::Mul
        | Op::Copy(_)
        | Op::Constant(_)
        | Op::Save(_)
        | Op::Load(_) => Vec::new(),
    }
}
