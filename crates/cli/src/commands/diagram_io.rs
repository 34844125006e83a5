//! `diagram import`, `diagram export`, and the tensor files of `diagram run` (`--params`,
//! `--inputs`, `--out`).

use anyhow::{Context, bail};
use nc_diagram::exec::{Bound, Params};
use nc_diagram::ir::Circuit;
use nc_diagram::tensor::Tensor;
use nc_diagram_onnx::weights::{self, Named};
use std::io::Write;
use std::path::Path;

/// Imports `model` (ONNX) into `out` (.ncd) and its weights into `out` with `.safetensors`.
pub fn import(so: &mut impl Write, model: &Path, out: &Path, partial: bool) -> anyhow::Result<()> {
    if out.extension().and_then(|e| e.to_str()) != Some("ncd") {
        bail!("-o {}: the circuit file must end in .ncd", out.display());
    }
    let opt = nc_diagram_onnx::Options { partial };
    let m = nc_diagram_onnx::import_file(model, &opt)?;
    let wpath = out.with_extension("safetensors");
    let named: Named = m
        .weights
        .iter()
        .map(|w| (w.name.clone(), (w.dims.clone(), w.data.clone())))
        .collect();
    let bytes = weights::write(&named)?;
    let text = nc_diagram::parse::text::save(&m.circuit);
    nc_core::output::write_atomic(&wpath, &bytes)
        .with_context(|| format!("writing {}", wpath.display()))?;
    nc_core::output::write_atomic(out, text.as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    for u in &m.skipped {
        writeln!(so, "left out (unsupported): {u}")?;
    }
    writeln!(
        so,
        "{}: {} ops, {} inputs, {} outputs -> {}; {} weight tensors ({} numbers) -> {}",
        model.display(),
        m.circuit.nodes.len(),
        m.circuit.inputs.len(),
        m.circuit.outputs.len(),
        out.display(),
        m.weights.len(),
        m.weights.iter().map(|w| w.data.len()).sum::<usize>(),
        wpath.display()
    )?;
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Named> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    weights::read(&bytes).with_context(|| format!("reading {}", path.display()))
}

/// A tensor from `file` by name, checked against the bound dims of `axes`.
fn take(
    file: &Path,
    named: &Named,
    what: &str,
    name: &str,
    axes: &[nc_diagram::ir::AxisId],
    bound: &Bound,
) -> anyhow::Result<Tensor<f32>> {
    let (dims, data) = named.get(name).with_context(|| {
        let have: Vec<&String> = named.keys().collect();
        format!(
            "{}: no tensor `{name}` for {what} `{name}` (the file has {have:?})",
            file.display()
        )
    })?;
    let want = bound.dims(axes);
    if *dims != want {
        bail!(
            "{}: tensor `{name}` has shape {dims:?}, {what} `{name}` needs {want:?}",
            file.display()
        );
    }
    Ok(Tensor::from_vec(axes.to_vec(), want, data.clone()))
}

/// Parameters from a safetensors file, each by its parameter name.
pub fn params(c: &Circuit, bound: &Bound, file: &Path) -> anyhow::Result<Params<f32>> {
    let named = read(file)?;
    c.params
        .iter()
        .map(|p| take(file, &named, "parameter", &p.name, &p.axes, bound))
        .collect()
}

/// Inputs from a safetensors file, each by the circuit input's name, laid out in the order
/// of its declared axes.
pub fn inputs(c: &Circuit, bound: &Bound, file: &Path) -> anyhow::Result<Vec<Tensor<f32>>> {
    let named = read(file)?;
    c.inputs
        .iter()
        .map(|v| {
            let val = c.value(*v);
            take(file, &named, "input", &val.name, &val.ty.axes, bound)
        })
        .collect()
}

/// Writes each output by its value name, laid out in the order of its declared axes.
pub fn write_outputs(
    c: &Circuit,
    tape: &nc_diagram::exec::Tape<f32>,
    out: &Path,
) -> anyhow::Result<()> {
    let mut named = Named::new();
    for (i, v) in c.outputs.iter().enumerate() {
        let t = tape.output(c, i).context("output not computed")?;
        named.insert(c.value(*v).name.clone(), (t.dims.clone(), t.data.clone()));
    }
    nc_core::output::write_atomic(out, &weights::write(&named)?)
        .with_context(|| format!("writing {}", out.display()))
}

/// Writes `c` as a PyTorch module to `out`; with `load`, the module loads those weights,
/// which are checked against the circuit's parameters first.
pub fn export_torch(
    so: &mut impl Write,
    c: &Circuit,
    bindings: nc_diagram::size::Bindings,
    out: &Path,
    load: Option<&Path>,
) -> anyhow::Result<()> {
    if out.extension().and_then(|e| e.to_str()) != Some("py") {
        bail!("-o {}: the PyTorch module must end in .py", out.display());
    }
    let bound = Bound::new(c, &bindings)?;
    let load = match load {
        Some(f) => {
            params(c, &bound, f)?;
            Some(relative_to_folder_of(f, out)?)
        }
        None => None,
    };
    let opt = nc_diagram_torch::Options { bindings, load };
    let py = nc_diagram_torch::export(c, &opt)?;
    nc_core::output::write_atomic(out, py.as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    writeln!(
        so,
        "{}: {} ops, {} parameters -> {} ({} lines){}",
        c.name,
        c.nodes.len(),
        c.params.len(),
        out.display(),
        py.lines().count(),
        match &opt.load {
            Some(p) => format!(", loading {p}"),
            None => String::new(),
        }
    )?;
    Ok(())
}

/// `file` as the generated module will find it: relative to the folder of `module` when it
/// lies below it, else absolute.
fn relative_to_folder_of(file: &Path, module: &Path) -> anyhow::Result<String> {
    let abs =
        |p: &Path| std::path::absolute(p).with_context(|| format!("resolving {}", p.display()));
    let f = abs(file)?;
    let dir = abs(module)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let shown = f.strip_prefix(&dir).unwrap_or(&f);
    shown
        .to_str()
        .map(str::to_owned)
        .with_context(|| format!("{}: the path is not UTF-8", file.display()))
}
