//! PyTorch export for neural circuit diagrams: a circuit becomes one standalone, readable
//! `nn.Module` (a Python file that needs only `torch`, and `safetensors` to load weights).
//!
//! The module has one `nn.Parameter` per circuit parameter, laid out in the parameter's axis
//! order and listed by its circuit name in `PARAMS`; its `forward` has one line per operation,
//! in the circuit's order, each commented with the diagram's box and its result's axes. Every
//! tensor is laid out in the order of its value's declared axes, which is also the layout of
//! `diagram run --inputs/--out`, so the two take and give the same files. Axis-wise
//! operations are written as `torch.einsum` with one letter per axis (the axis name's first
//! letter where it is free); what has no one-line PyTorch form (a band mask, a window ★ and
//! its transpose, RoPE, top-k) is a short helper function at the top of the file, emitted
//! only when used.
//!
//! The sizes are bound when exporting (the circuit's defaults, or [`Options::bindings`]).
//! The output is a pure function of the circuit, the bindings and the options: the same
//! bytes every time.
//!
//! ```
//! let c = nc_diagram::zoo::get("mlp").unwrap();
//! let py = nc_diagram_torch::export(&c, &Default::default()).unwrap();
//! assert!(py.contains("class Mlp(nn.Module):"));
//! ```
#![deny(missing_docs)]

mod emit;
mod names;
mod prelude;

use nc_diagram::exec::{Bound, ExecError};
use nc_diagram::ir::{Circuit, Init};
use nc_diagram::size::Bindings;
use std::fmt::Write;

/// What to export besides the circuit.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Size bindings over the circuit's defaults.
    pub bindings: Bindings,
    /// A safetensors file the module loads its weights from, by parameter name; a relative
    /// path is taken relative to the generated file's folder.
    pub load: Option<String>,
}

/// Why a circuit could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The sizes do not bind.
    #[error("circuit `{circuit}`: {source}")]
    Bind {
        /// The circuit.
        circuit: String,
        /// Why.
        source: ExecError,
    },
    /// An operation that has no PyTorch form here.
    #[error("op `{node}` ({kind}) cannot be exported to PyTorch: {why}")]
    Unsupported {
        /// The node's name.
        node: String,
        /// The operation's kind.
        kind: &'static str,
        /// Why.
        why: String,
    },
}

/// The circuit as a PyTorch module (Python source).
pub fn export(c: &Circuit, opt: &Options) -> Result<String, ExportError> {
    let mut b = c.default_bindings();
    b.extend(opt.bindings.iter().map(|(k, v)| (k.clone(), *v)));
    let bound = Bound::new(c, &b).map_err(|source| ExportError::Bind {
        circuit: c.name.clone(),
        source,
    })?;
    let mut e = emit::Emitter::new(c, &bound);
    let body = e.forward()?;
    let mut s = String::new();
    header(&mut s, c, &bound);
    s.push_str("import torch\nimport torch.nn.functional as F\nfrom torch import nn\n");
    if opt.load.is_some() {
        s.push_str("from pathlib import Path\n");
    }
    s.push('\n');
    let mut helpers: Vec<&prelude::Helper> = e.helpers.clone();
    if opt.load.is_some() {
        helpers.push(&prelude::LOAD);
    }
    for h in helpers {
        s.push('\n');
        s.push_str(h.source);
        s.push('\n');
    }
    class(&mut s, c, &bound, &e, opt, &body);
    Ok(s)
}

fn header(s: &mut String, c: &Circuit, bound: &Bound) {
    let _ = writeln!(
        s,
        "\"\"\"The circuit `{}` as a PyTorch module, written by `neurocircuits diagram export --torch`.\n",
        c.name
    );
    let sizes: Vec<String> = bound
        .bindings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(s, "Sizes: {}.", sizes.join(", "));
    s.push_str(
        "Every tensor is laid out in the order of the axes listed in its comment; the axes:\n",
    );
    let mut used: Vec<_> = c
        .values
        .iter()
        .flat_map(|v| v.ty.axes.iter())
        .chain(c.params.iter().flat_map(|p| p.axes.iter()))
        .copied()
        .collect();
    used.sort();
    used.dedup();
    for a in used {
        let ax = c.axis(a);
        let _ = writeln!(
            s,
            "    {:<8} {:>6}  {} ({})",
            c.axis_label(a),
            bound.sizes[a.ix()],
            ax.kind.keyword(),
            ax.size
        );
    }
    s.push_str("\"\"\"\n\n");
}

fn class(s: &mut String, c: &Circuit, bound: &Bound, e: &emit::Emitter, opt: &Options, body: &str) {
    let name = names::class_name(&c.name);
    let _ = writeln!(s, "\nclass {name}(nn.Module):");
    let _ = writeln!(
        s,
        "    \"\"\"`{}`: {} inputs, {} outputs, {} operations.\"\"\"\n",
        c.name,
        c.inputs.len(),
        c.outputs.len(),
        c.nodes.len()
    );
    s.push_str("    # circuit parameter name -> attribute\n    PARAMS = {");
    if c.params.is_empty() {
        s.push_str("}\n");
    } else {
        s.push('\n');
        for p in &c.params {
            let _ = writeln!(
                s,
                "        {}: {},",
                py_str(&p.name),
                py_str(&e.params[p.id.ix()])
            );
        }
        s.push_str("    }\n");
    }
    if let Some(path) = &opt.load {
        let p = if std::path::Path::new(path).is_absolute() {
            format!("Path({})", py_str(path))
        } else {
            format!("Path(__file__).parent / {}", py_str(path))
        };
        let _ = writeln!(s, "    WEIGHTS = {p}");
    }
    s.push_str("\n    def __init__(self):\n        super().__init__()\n");
    for p in &c.params {
        let _ = writeln!(
            s,
            "        self.{} = nn.Parameter(torch.empty({}))  # {}",
            e.params[p.id.ix()],
            emit::args(&bound.dims(&p.axes)),
            emit::axes_label(c, &p.axes)
        );
    }
    s.push_str("        self.reset_parameters()\n");
    if opt.load.is_some() {
        s.push_str("        load_safetensors(self, self.WEIGHTS)\n");
    }
    s.push_str(
        "\n    def reset_parameters(self):\n        \"\"\"The circuit's initialisation (PyTorch's random stream, not the executor's).\"\"\"\n",
    );
    if c.params.is_empty() {
        s.push_str("        pass\n");
    } else {
        s.push_str("        with torch.no_grad():\n");
        for p in &c.params {
            let attr = &e.params[p.id.ix()];
            let line = match &p.init {
                Init::Zeros => format!("nn.init.zeros_(self.{attr})"),
                Init::Ones => format!("nn.init.ones_(self.{attr})"),
                Init::Normal => format!("nn.init.normal_(self.{attr})"),
                Init::Const(v) => format!("nn.init.constant_(self.{attr}, {})", py_float(*v)),
                Init::FanIn(axes) => {
                    let fan: usize = bound.dims(axes).iter().product();
                    format!(
                        "nn.init.uniform_(self.{attr}, -{fan} ** -0.5, {fan} ** -0.5)  # fan-in {}",
                        emit::axes_label(c, axes)
                    )
                }
            };
            let _ = writeln!(s, "            {line}");
        }
    }
    let args: Vec<&str> = c.inputs.iter().map(|v| e.vars[v.ix()].as_str()).collect();
    let _ = writeln!(s, "\n    def forward(self, {}):", args.join(", "));
    let _ = writeln!(
        s,
        "        \"\"\"{} -> {}\"\"\"",
        io_doc(c, &c.inputs),
        io_doc(c, &c.outputs)
    );
    s.push_str(body);
}

fn io_doc(c: &Circuit, vs: &[nc_diagram::ir::ValueId]) -> String {
    let parts: Vec<String> = vs
        .iter()
        .map(|v| {
            let val = c.value(*v);
            let ix = if val.ty.dtype == nc_diagram::ir::DType::Index {
                " (indices)"
            } else {
                ""
            };
            format!("{} {}{ix}", val.name, emit::axes_label(c, &val.ty.axes))
        })
        .collect();
    parts.join(", ")
}

/// A Python string literal.
pub(crate) fn py_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            ch if (ch as u32) < 0x20 => {
                let _ = write!(o, "\\x{:02x}", ch as u32);
            }
            ch => o.push(ch),
        }
    }
    o.push('"');
    o
}

/// A Python float literal that reads back as the same f64.
pub(crate) fn py_float(v: f64) -> String {
    if v.is_nan() {
        "float(\"nan\")".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "float(\"inf\")"
        } else {
            "float(\"-inf\")"
        }
        .into()
    } else {
        format!("{v:?}")
    }
}

pub mod fixtures {
    //! The cases the PyTorch check runs (`tools/reference/diagram/export_check.py`): every
    //! zoo model at small sizes, with parameters and inputs seeded as `diagram run` seeds them.

    use nc_diagram::ir::Circuit;
    use nc_diagram::size::Bindings;

    /// The seed of the parameters (`SEED`) and inputs (`SEED + 1`), as `diagram run --seed`.
    pub const SEED: u64 = 7;

    /// Every zoo model with its small sizes (`name=value` over the defaults).
    pub const CASES: &[(&str, &[(&str, i64)])] = &[
        ("mlp", &[("b", 2)]),
        ("sdpa", &[("y", 3), ("x", 4), ("k", 5)]),
        ("mha", &[("m", 8), ("k", 3), ("h", 2), ("y", 3), ("x", 4)]),
        (
            "transformer_block",
            &[("b", 2), ("t", 3), ("m", 8), ("h", 2)],
        ),
        ("gpt2_block", &[("b", 2), ("t", 4), ("m", 8), ("h", 2)]),
        (
            "llama_block",
            &[("b", 2), ("t", 4), ("m", 16), ("h", 4), ("g", 2), ("f", 12)],
        ),
        ("moe_block", &[("t", 6), ("m", 8), ("e", 4), ("f", 6)]),
        (
            "transformer",
            &[("b", 2), ("t", 3), ("m", 8), ("h", 2), ("v", 7)],
        ),
        ("conv", &[("b", 1), ("c", 8), ("H", 8)]),
        ("resnet", &[("b", 2), ("H", 32), ("n", 4)]),
        ("unet", &[("b", 2), ("X", 16), ("c", 4)]),
        ("unet_ronneberger", &[("b", 1), ("S", 188), ("c", 8)]),
        (
            "vit",
            &[("b", 2), ("c", 2), ("H", 16), ("m", 8), ("h", 2), ("o", 3)],
        ),
        (
            "visual_attention",
            &[("b", 2), ("c", 3), ("k", 2), ("h", 2), ("H", 11)],
        ),
        ("rnn_cell", &[("b", 2), ("i", 3), ("n", 4)]),
        ("ncap_swimmer", &[("b", 2), ("n", 5)]),
    ];

    /// The circuit's default bindings with `bind` over them.
    pub fn bindings(c: &Circuit, bind: &[(&str, i64)]) -> Bindings {
        let mut b = c.default_bindings();
        b.extend(bind.iter().map(|(k, v)| (k.to_string(), *v)));
        b
    }
}
