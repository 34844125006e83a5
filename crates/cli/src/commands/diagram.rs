//! `neurocircuits diagram`: check, cost, run and list neural circuit diagrams.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use nc_diagram::ir::Circuit;
use nc_diagram::size::Bindings;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `diagram`.
#[derive(Args, Debug)]
pub struct DiagramArgs {
    #[command(subcommand)]
    command: DiagramCommand,
}

#[derive(Subcommand, Debug)]
enum DiagramCommand {
    /// Check a circuit (a file, or zoo:NAME): errors and warnings with codes.
    Check {
        /// Circuit file or zoo:NAME.
        source: String,
        /// Size bindings, e.g. h=8,k=64 (defaults come from the circuit).
        #[arg(long, default_value = "")]
        bind: String,
    },
    /// Print the cost report: FLOPs, parameters, memory.
    Cost {
        /// Circuit file or zoo:NAME.
        source: String,
        /// Size bindings, e.g. h=8,k=64.
        #[arg(long, default_value = "")]
        bind: String,
        /// Bytes per element (4 for f32).
        #[arg(long, default_value_t = 4)]
        bytes: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a circuit forward and backward on seeded random inputs; print output statistics.
    Run {
        /// Circuit file or zoo:NAME.
        source: String,
        /// Size bindings.
        #[arg(long, default_value = "")]
        bind: String,
        /// Seed for parameters and inputs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Refuse to run when the cost model's memory estimate exceeds this, e.g. 4G, 512M,
        /// 1.5GB or a byte count (default: half the machine's memory).
        #[arg(long, value_parser = parse_memory)]
        max_memory: Option<u64>,
        /// Parameters from this safetensors file, by parameter name (default: seeded init).
        #[arg(long)]
        params: Option<PathBuf>,
        /// Inputs from this safetensors file, by input name, laid out in the order of the
        /// input's declared axes (default: seeded random inputs).
        #[arg(long)]
        inputs: Option<PathBuf>,
        /// Write the outputs here (safetensors, by output name, in declared axis order).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Import an ONNX model (opset 13 to 21) as a typed circuit: OUT.ncd, with its weights in
    /// OUT.safetensors. Unsupported operators are listed by node name and type.
    Import {
        /// The .onnx file.
        model: PathBuf,
        /// The circuit file to write (.ncd); the weights go next to it (.safetensors).
        #[arg(short, long)]
        out: PathBuf,
        /// Import the graph up to the unsupported nodes instead of failing.
        #[arg(long)]
        partial: bool,
    },
    /// Export a circuit (a file, or zoo:NAME) as a standalone, readable PyTorch module: one
    /// nn.Module, parameters named as in the circuit, one forward line per operation.
    Export {
        /// Circuit file or zoo:NAME.
        source: String,
        /// Write PyTorch (an nn.Module in a .py file); the only format so far.
        #[arg(long, required = true)]
        torch: bool,
        /// The Python file to write.
        #[arg(short, long)]
        out: PathBuf,
        /// Make the module load its weights from this safetensors file (by parameter name,
        /// as `diagram run --params` reads it); it is checked now.
        #[arg(long)]
        load: Option<PathBuf>,
        /// Size bindings (the module is written for these sizes).
        #[arg(long, default_value = "")]
        bind: String,
    },
    /// Draw a circuit (a file, or zoo:NAME) as a neural circuit diagram in SVG (or TikZ).
    Draw {
        /// Circuit file or zoo:NAME.
        source: String,
        /// Output file; its extension picks the format: .svg, .tex or .tikz (a standalone
        /// TikZ document), or .png.
        #[arg(short, long)]
        out: PathBuf,
        /// Draw these named blocks expanded (repeatable).
        #[arg(long)]
        expand: Vec<String>,
        /// Expand blocks down to this nesting depth.
        #[arg(long)]
        depth: Option<usize>,
        /// Overlay FLOPs and memory under each box.
        #[arg(long)]
        cost: bool,
        /// Print the drawing's measures as one JSON object: width, height, boxes, wires,
        /// crossings, and the legend (each label with its axis id and size).
        #[arg(long)]
        stats: bool,
        /// Draw every axis as its own wire and convolutions as window plus map (default:
        /// grids bundled as x̄, kernels as k², convolutions as bold ★k).
        #[arg(long)]
        unbundled: bool,
        /// Draw batch axes that only pass through (hidden by default, as in the paper).
        #[arg(long)]
        show_batch: bool,
    },
    /// Time our forward + backward of zoo models (f32, one thread) and, with --torch-python,
    /// PyTorch's in the same run, with the ratio.
    Bench {
        /// Model to time: mha, resnet or all.
        #[arg(long, default_value = "all")]
        model: String,
        /// Python with torch 2.15.0, to time the PyTorch peer in the same run.
        #[arg(long)]
        torch_python: Option<PathBuf>,
        /// Timed repeats per model and side (default: mha 200, resnet 30).
        #[arg(long)]
        repeats: Option<usize>,
    },
    /// List the zoo, export a model to the circuit text format (.ncd), or draw every model.
    Zoo {
        /// List the models.
        #[arg(long)]
        list: bool,
        /// Draw every zoo model into this folder (one SVG each, plus index.html).
        #[arg(long)]
        draw: Option<PathBuf>,
        /// Export this model.
        #[arg(long)]
        export: Option<String>,
        /// Write the export here instead of stdout (e.g. mha.ncd).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn load(source: &str) -> anyhow::Result<Circuit> {
    if let Some(name) = source.strip_prefix("zoo:") {
        return nc_diagram::zoo::get(name)
            .with_context(|| format!("no zoo model `{name}`; try `diagram zoo --list`"));
    }
    let text = std::fs::read_to_string(source).with_context(|| {
        // a bare zoo name is the likeliest slip: say so
        if !std::path::Path::new(source).exists() && nc_diagram::zoo::get(source).is_some() {
            format!("reading {source}: there is no such file; the zoo model is `zoo:{source}`")
        } else {
            format!("reading {source}")
        }
    })?;
    // `file:line:column: message`, the form editors jump to
    nc_diagram::parse::text::load(&text).map_err(|e| anyhow::anyhow!(e.in_file(source)))
}

fn bindings(c: &Circuit, spec: &str) -> anyhow::Result<Bindings> {
    Ok(nc_diagram::bind::parse(c, spec)?)
}

/// `--max-memory`: a byte count with an optional unit, K/M/G/T in powers of 1024
/// (`4G`, `512M`, `1.5GiB`, `1.5GB`).
fn parse_memory(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a memory size such as 4G, 512M or 1073741824"))?;
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        u => return Err(format!("unknown memory unit `{u}` (use K, M, G or T)")),
    };
    let bytes = v * scale as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}` is not a positive memory size"));
    }
    Ok(bytes as u64)
}

/// Half the machine's memory (from /proc/meminfo), the default `--max-memory`; 4 GiB when it
/// cannot be read.
fn default_memory_limit() -> (u64, &'static str) {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    });
    match total {
        Some(t) => (
            t / 2,
            "the default, half the machine's memory; --max-memory sets another",
        ),
        None => (
            4 << 30,
            "the default when the machine's memory cannot be read; --max-memory sets another",
        ),
    }
}

/// Runs `diagram`.
pub fn run(args: DiagramArgs) -> anyhow::Result<()> {
    let mut so = std::io::stdout().lock();
    match args.command {
        DiagramCommand::Draw {
            source,
            out,
            expand,
            depth,
            cost,
            stats,
            unbundled,
            show_batch,
        } => {
            // the format first, so a wrong extension fails before any work
            let format = nc_diagram_draw::Format::of(&out)?;
            let c = load(&source)?;
            let opt = nc_diagram_draw::DrawOptions {
                expand,
                depth,
                cost,
                unbundled,
                show_batch,
            };
            let scene = nc_diagram_draw::circuit_scene(&c, &opt);
            let bytes = nc_diagram_draw::render(&scene, format, &out)?;
            nc_core::output::write_atomic(&out, &bytes)
                .with_context(|| format!("writing {}", out.display()))?;
            if stats {
                writeln!(so, "{}", nc_diagram_draw::stats::Stats::of(&scene).json())?;
            } else {
                writeln!(
                    so,
                    "{} drawn: {} ({} bytes)",
                    c.name,
                    out.display(),
                    bytes.len()
                )?;
            }
        }
        DiagramCommand::Check { source, bind } => {
            let c = load(&source)?;
            let b = bindings(&c, &bind)?;
            let r = nc_diagram::check::check(&c, &b);
            if !r.diagnostics.is_empty() {
                writeln!(so, "{}", r.render())?;
            }
            let (e, w) = (r.errors().count(), r.warnings().count());
            writeln!(
                so,
                "{}: {} ops, {e} error(s), {w} warning(s)",
                c.name,
                c.nodes.len()
            )?;
            if e > 0 {
                bail!("{} has {e} error(s)", c.name);
            }
        }
        DiagramCommand::Cost {
            source,
            bind,
            bytes,
            json,
        } => {
            let c = load(&source)?;
            let b = bindings(&c, &bind)?;
            let s = nc_diagram::cost::summarize(&c, &b, bytes)?;
            if json {
                writeln!(so, "{}", serde_json::to_string_pretty(&s)?)?;
            } else {
                writeln!(so, "{} with {:?}", s.circuit, s.bindings)?;
                writeln!(
                    so,
                    "  params            {:>16}   = {}",
                    s.params, s.formulas["params"]
                )?;
                writeln!(
                    so,
                    "  flops forward     {:>16}   = {}",
                    s.flops_forward, s.formulas["flops_forward"]
                )?;
                writeln!(so, "  flops backward    {:>16}", s.flops_backward)?;
                writeln!(so, "  all ops forward   {:>16}", s.ops_forward)?;
                writeln!(so, "  all ops backward  {:>16}", s.ops_backward)?;
                writeln!(so, "  saved activations {:>16} B", s.saved_activation_bytes)?;
                writeln!(so, "  bytes moved       {:>16} B", s.moved_bytes)?;
                writeln!(
                    so,
                    "  peak forward      {:>16} B",
                    s.memory.peak_forward_bytes
                )?;
                writeln!(
                    so,
                    "  peak training     {:>16} B",
                    s.memory.peak_training_bytes
                )?;
                writeln!(
                    so,
                    "  `diagram run`     {:>16} B   (this executor, forward + backward)",
                    s.memory.executor_bytes
                )?;
                for (name, k) in &s.blocks {
                    writeln!(
                        so,
                        "  block {name:<20} params {:>12}  flops fwd {:>16}",
                        k.params, k.flops_forward
                    )?;
                }
            }
        }
        DiagramCommand::Run {
            source,
            bind,
            seed,
            max_memory,
            params,
            inputs,
            out,
        } => {
            use nc_diagram::exec::{Bound, forward, init_params, random_inputs};
            let c = load(&source)?;
            let b = bindings(&c, &bind)?;
            let (limit, why) = match max_memory {
                Some(m) => (m, "set by --max-memory"),
                None => default_memory_limit(),
            };
            // sizes come from the user: refuse before allocating, not by aborting midway
            match nc_diagram::cost::check_memory(&c, &b, 4, u128::from(limit)) {
                Err(e @ nc_diagram::exec::ExecError::OverMemory { .. }) => {
                    bail!("{e} ({why})")
                }
                r => r?,
            };
            let bound = Bound::new(&c, &b)?;
            let p = match &params {
                Some(f) => super::diagram_io::params(&c, &bound, f)?,
                None => init_params::<f32>(&c, &bound, seed),
            };
            let x = match &inputs {
                Some(f) => super::diagram_io::inputs(&c, &bound, f)?,
                None => random_inputs::<f32>(&c, &bound, seed + 1),
            };
            let t0 = std::time::Instant::now();
            let tape = forward(&c, &bound, &p, &x)?;
            let fwd = t0.elapsed();
            if let Some(f) = &out {
                super::diagram_io::write_outputs(&c, &tape, f)?;
                writeln!(so, "outputs written to {}", f.display())?;
            }
            // a fixed random cotangent: sum-of-outputs would give zero through a softmax
            let ones: Vec<_> = (0..c.outputs.len())
                .map(|i| {
                    let y = tape.output(&c, i).expect("output computed");
                    let w = (0..y.data.len())
                        .map(|j| ((j as f32 + 0.5) * 0.618).sin())
                        .collect();
                    nc_diagram::tensor::Tensor::from_vec(y.axes.clone(), y.dims.clone(), w)
                })
                .collect();
            let t1 = std::time::Instant::now();
            let g = nc_diagram::backprop::backward(&c, &bound, &p, &tape, &ones)?;
            let bwd = t1.elapsed();
            for i in 0..c.outputs.len() {
                let y = tape.output(&c, i).expect("output computed");
                let n = y.data.len() as f64;
                let mean = y.data.iter().map(|v| *v as f64).sum::<f64>() / n;
                let sd = (y
                    .data
                    .iter()
                    .map(|v| (*v as f64 - mean).powi(2))
                    .sum::<f64>()
                    / n)
                    .sqrt();
                let shape: Vec<String> = y
                    .axes
                    .iter()
                    .zip(&y.dims)
                    .map(|(a, d)| format!("{}={d}", c.axis_label(*a)))
                    .collect();
                writeln!(
                    so,
                    "output {i} [{}]: mean {mean:.6} sd {sd:.6} min {:.6} max {:.6}",
                    shape.join(", "),
                    y.data.iter().fold(f32::INFINITY, |a, b| a.min(*b)),
                    y.data.iter().fold(f32::NEG_INFINITY, |a, b| a.max(*b))
                )?;
            }
            let gnorm: f64 = g
                .params
                .iter()
                .flat_map(|t| t.data.iter())
                .map(|v| (*v as f64).powi(2))
                .sum::<f64>()
                .sqrt();
            writeln!(
                so,
                "parameter gradient norm {gnorm:.6} (loss = Σ w·output, fixed w)"
            )?;
            writeln!(
                so,
                "forward {:.3} ms, backward {:.3} ms",
                fwd.as_secs_f64() * 1e3,
                bwd.as_secs_f64() * 1e3
            )?;
        }
        DiagramCommand::Import {
            model,
            out,
            partial,
        } => super::diagram_io::import(&mut so, &model, &out, partial)?,
        DiagramCommand::Export {
            source,
            torch: _,
            out,
            load: weights,
            bind,
        } => {
            let c = load(&source)?;
            let b = bindings(&c, &bind)?;
            super::diagram_io::export_torch(&mut so, &c, b, &out, weights.as_deref())?;
        }
        DiagramCommand::Bench {
            model,
            torch_python,
            repeats,
        } => run_bench(&mut so, &model, torch_python.as_deref(), repeats)?,
        DiagramCommand::Zoo {
            list,
            draw,
            export,
            out,
        } => {
            if let Some(dir) = draw {
                let written =
                    nc_diagram_draw::draw_zoo(&dir, &nc_diagram_draw::DrawOptions::default())?;
                writeln!(so, "{} files written to {}", written.len(), dir.display())?;
            } else if let Some(name) = export {
                let c = nc_diagram::zoo::get(&name)
                    .with_context(|| format!("no zoo model `{name}`"))?;
                let text = nc_diagram::parse::text::save(&c);
                match out {
                    Some(p) => nc_core::output::write_atomic(&p, text.as_bytes())
                        .with_context(|| format!("writing {}", p.display()))?,
                    None => write!(so, "{text}")?,
                }
            } else if list || out.is_none() {
                for (name, about) in nc_diagram::zoo::MODELS {
                    writeln!(so, "{name:<18} {about}")?;
                }
            }
        }
    }
    Ok(())
}

fn run_bench(
    so: &mut impl Write,
    model: &str,
    torch_python: Option<&std::path::Path>,
    repeats: Option<usize>,
) -> anyhow::Result<()> {
    use nc_diagram::bench::{compare, select};
    if repeats == Some(0) {
        bail!("--repeats must be at least 1");
    }
    let models = select(model)?;
    writeln!(
        so,
        "forward+backward, f32, one thread, median over repeats (min in brackets)"
    )?;
    for (name, default_repeats) in models {
        let n = repeats.unwrap_or(default_repeats);
        let r = compare(name, n, torch_python).with_context(|| format!("benchmarking {name}"))?;
        let ms = |s: f64| s * 1e3;
        write!(
            so,
            "  {name:<7} ours {:>9.3} ms ({:.3}) over {}",
            ms(r.ours.median_s),
            ms(r.ours.min_s),
            r.ours.repeats
        )?;
        if let (Some(t), Some(ratio)) = (&r.torch, r.ratio()) {
            write!(
                so,
                " | PyTorch {} {:>9.3} ms ({:.3}) over {} | ours/PyTorch {ratio:.2}x",
                t.version,
                ms(t.timing.median_s),
                ms(t.timing.min_s),
                t.timing.repeats
            )?;
        }
        writeln!(so)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: the `diagram` help summary omitted `draw` and `bench`.
    #[test]
    fn the_help_summary_names_every_subcommand() {
        use clap::CommandFactory;
        let cli = crate::Cli::command();
        let diagram = cli.find_subcommand("diagram").expect("diagram subcommand");
        let about = diagram.get_about().expect("an about line").to_string();
        for sub in diagram.get_subcommands() {
            let name = sub.get_name();
            if name != "zoo" && name != "help" {
                assert!(about.contains(name), "`{about}` omits `{name}`");
            }
        }
    }

    #[test]
    fn memory_sizes_in_every_unit() {
        assert_eq!(parse_memory("4G"), Ok(4 << 30));
        assert_eq!(parse_memory("512M"), Ok(512 << 20));
        assert_eq!(parse_memory("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_memory("2 tb"), Ok(2 << 40));
        assert_eq!(parse_memory("1000"), Ok(1000));
        for bad in ["", "G", "-1G", "0", "4Q", "1e400"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }
}
