//! Library entry points for the command line: draw a circuit file, or the whole zoo.

use std::path::{Path, PathBuf};

use crate::LayoutOptions;

/// What to draw and how.
#[derive(Clone, Debug, Default)]
pub struct DrawOptions {
    /// Blocks to draw expanded, by name.
    pub expand: Vec<String>,
    /// Expand blocks nested at most this deep; `None` keeps the defaults.
    pub depth: Option<usize>,
    /// Add the cost overlay (FLOPs and memory per box).
    pub cost: bool,
    /// Draw every axis as its own wire, and a convolution as its window and its map
    /// (default: grids as `x̄`, kernel offsets as `k²`, convolutions as bold `★k`).
    pub unbundled: bool,
    /// Draw batch axes that only pass through (the paper leaves them out, and so do we by
    /// default; the legend names them).
    pub show_batch: bool,
}

impl DrawOptions {
    /// How the circuit becomes wires.
    #[must_use]
    pub fn ir(&self) -> crate::from_ir::IrOptions {
        crate::from_ir::IrOptions {
            bundle: !self.unbundled,
            hide_batch: !self.show_batch,
        }
    }
}

impl DrawOptions {
    /// The layout options these imply.
    #[must_use]
    pub fn layout(&self) -> LayoutOptions {
        LayoutOptions {
            expand: self.expand.clone(),
            depth: self.depth,
            cost: self.cost,
        }
    }
}

/// Why a drawing could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DrawError {
    /// The circuit file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The circuit file did not parse or type-check.
    #[error("cannot load circuit {path}: {message}")]
    Circuit {
        /// The file.
        path: PathBuf,
        /// The parser's or checker's message.
        message: String,
    },
    /// The output's extension names no format this crate writes.
    #[error(
        "cannot tell the drawing format of {path}: its extension is {ext:?}; use .svg, .tex \
         (or .tikz) for TikZ, or .png"
    )]
    Format {
        /// The output file.
        path: PathBuf,
        /// Its extension (empty when it has none).
        ext: String,
    },
    /// The drawing could not be rasterised.
    #[error("cannot render {path} as PNG: {message}")]
    Png {
        /// The output file.
        path: PathBuf,
        /// What the renderer said.
        message: String,
    },
    /// An output could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Draws a circuit file as SVG. The file is nc-diagram's circuit text format (`.ncd`, or the IR
/// as JSON; see [`nc_diagram::parse::text`]), whatever its extension; it is validated (every
/// reference, the execution order) before it is drawn, so a malformed file is an error, never
/// a panic.
///
/// # Errors
/// [`DrawError::Read`] when the file cannot be read, [`DrawError::Circuit`] when it is not a
/// valid circuit.
pub fn draw_file(path: &Path, opt: &DrawOptions) -> Result<String, DrawError> {
    let text = std::fs::read_to_string(path).map_err(|source| DrawError::Read {
        path: path.to_owned(),
        source,
    })?;
    let c = nc_diagram::parse::text::load(&text).map_err(|e| DrawError::Circuit {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok(draw_circuit(&c, opt))
}

/// Draws a circuit as SVG, with the cost overlay when asked. Without `expand` or `depth`,
/// blocks are collapsed from the deepest level up while the drawing is wider than
/// [`crate::fit::MAX_WIDTH`].
#[must_use]
pub fn draw_circuit(c: &nc_diagram::ir::Circuit, opt: &DrawOptions) -> String {
    crate::svg::write(&circuit_scene(c, opt))
}

/// The laid-out drawing of a circuit that [`draw_circuit`] writes, for any output format and
/// for [`crate::stats::Stats`].
#[must_use]
pub fn circuit_scene(c: &nc_diagram::ir::Circuit, opt: &DrawOptions) -> crate::scene::Scene {
    let report = opt.cost.then(|| nc_diagram::cost::cost(c));
    let d = crate::from_ir::from_circuit_with(c, report.as_ref(), &opt.ir());
    crate::fit::fitted(&d, &opt.layout()).1
}

/// An output format, told by a file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// SVG (`.svg`).
    Svg,
    /// A standalone TikZ document (`.tex` or `.tikz`).
    Tikz,
    /// PNG at twice the SVG's pixel size, rendered by resvg (`.png`).
    Png,
}

impl Format {
    /// The format of an output path, by its extension (case-insensitive).
    ///
    /// # Errors
    /// [`DrawError::Format`] for any other extension, or none.
    ///
    /// ```
    /// use nc_diagram_draw::draw::Format;
    /// use std::path::Path;
    /// assert_eq!(Format::of(Path::new("a.PNG")).unwrap(), Format::Png);
    /// assert!(Format::of(Path::new("a.pdf")).is_err());
    /// ```
    pub fn of(path: &Path) -> Result<Format, DrawError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "svg" => Ok(Format::Svg),
            "tex" | "tikz" => Ok(Format::Tikz),
            "png" => Ok(Format::Png),
            _ => Err(DrawError::Format {
                path: path.to_owned(),
                ext,
            }),
        }
    }
}

/// The bytes of a drawing in a format; `path` only names the output in errors.
///
/// # Errors
/// [`DrawError::Png`] when the PNG renderer fails.
pub fn render(
    scene: &crate::scene::Scene,
    format: Format,
    path: &Path,
) -> Result<Vec<u8>, DrawError> {
    match format {
        Format::Svg => Ok(crate::svg::write(scene).into_bytes()),
        Format::Tikz => Ok(crate::tikz::document(scene).into_bytes()),
        Format::Png => {
            crate::png::render(&crate::svg::write(scene)).map_err(|message| DrawError::Png {
                path: path.to_owned(),
                message,
            })
        }
    }
}

/// Draws a circuit as [`draw_circuit`] does, followed by a detail drawing of every block that
/// drawing shows only collapsed: `("", overview)`, then `(block name, svg)` for each.
#[must_use]
pub fn draw_circuit_all(c: &nc_diagram::ir::Circuit, opt: &DrawOptions) -> Vec<(String, String)> {
    circuit_scenes(c, opt)
        .into_iter()
        .map(|(n, s)| (n, crate::svg::write(&s)))
        .collect()
}

/// The scenes [`draw_circuit_all`] writes: the overview, then each detail drawing.
#[must_use]
pub fn circuit_scenes(
    c: &nc_diagram::ir::Circuit,
    opt: &DrawOptions,
) -> Vec<(String, crate::scene::Scene)> {
    let report = opt.cost.then(|| nc_diagram::cost::cost(c));
    let d = crate::from_ir::from_circuit_with(c, report.as_ref(), &opt.ir());
    let lo = opt.layout();
    let (_, scene) = crate::fit::fitted(&d, &lo);
    let mut out = vec![(String::new(), scene)];
    out.extend(crate::fit::details(&d, &lo));
    out
}

/// Every zoo drawing as `(name, svg)`, in a fixed order: each model of
/// [`nc_diagram::zoo::MODELS`] drawn from its circuit by [`draw_circuit_all`] (detail
/// drawings of its collapsed blocks named `model.block`), then the NCAP
/// swimmer circuit (hand-built, as the rest of the toolkit draws it) as `ncap`.
#[must_use]
pub fn zoo_svgs(opt: &DrawOptions) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = nc_diagram::zoo::MODELS
        .iter()
        .filter_map(|(name, _)| {
            let c = nc_diagram::zoo::get(name)?;
            Some(draw_circuit_all(&c, opt).into_iter().map(move |(b, svg)| {
                if b.is_empty() {
                    ((*name).to_owned(), svg)
                } else {
                    (format!("{name}.{}", crate::fit::slug(&b)), svg)
                }
            }))
        })
        .flatten()
        .collect();
    v.push((
        "ncap".to_owned(),
        crate::render_svg(&crate::examples::ncap(), &opt.layout()),
    ));
    v
}

/// Title of the gallery page.
pub const GALLERY_TITLE: &str = "Neural circuit diagrams: the zoo";

/// The gallery page of every zoo drawing, with the SVGs inline (what `docs/gallery/index.html`
/// holds).
#[must_use]
pub fn gallery_html(opt: &DrawOptions) -> String {
    crate::gallery::html(GALLERY_TITLE, &zoo_svgs(opt))
}

/// Title of the interactive gallery page.
pub const INTERACTIVE_TITLE: &str = "Neural circuit diagrams: the zoo, interactive";

/// The interactive gallery page (`docs/gallery/interactive.html`): each zoo model's overview
/// drawing, in which clicking a block expands it in place (see [`crate::interactive`]).
#[must_use]
pub fn interactive_html(opt: &DrawOptions) -> String {
    let models: Vec<crate::interactive::Model> = nc_diagram::zoo::MODELS
        .iter()
        .filter_map(|(name, _)| {
            let c = nc_diagram::zoo::get(name)?;
            let d = crate::from_ir::from_circuit_with(&c, None, &opt.ir());
            Some(crate::interactive::model(name, &d, &opt.layout()))
        })
        .collect();
    crate::interactive::html(INTERACTIVE_TITLE, &models)
}

/// Writes one SVG per zoo model into `dir`, plus `index.html` showing them all and
/// `interactive.html` (blocks expand on a click); returns the paths written.
///
/// # Errors
/// [`DrawError::Write`] when a file cannot be written.
pub fn draw_zoo(dir: &Path, opt: &DrawOptions) -> Result<Vec<PathBuf>, DrawError> {
    draw_zoo_with(dir, opt, &[])
}

/// [`draw_zoo`] plus `extra` circuits (each under its given name, e.g. a model imported from
/// ONNX), drawn after the zoo and listed with it in the page.
///
/// # Errors
/// [`DrawError::Write`] when a file cannot be written.
pub fn draw_zoo_with(
    dir: &Path,
    opt: &DrawOptions,
    extra: &[(String, nc_diagram::ir::Circuit)],
) -> Result<Vec<PathBuf>, DrawError> {
    let mut svgs = zoo_svgs(opt);
    for (name, c) in extra {
        for (b, svg) in draw_circuit_all(c, opt) {
            let n = if b.is_empty() {
                name.clone()
            } else {
                format!("{name}.{}", crate::fit::slug(&b))
            };
            svgs.push((n, svg));
        }
    }
    let mut written = Vec::new();
    for (name, svg) in &svgs {
        let p = dir.join(format!("{name}.svg"));
        write(&p, svg.as_bytes())?;
        written.push(p);
    }
    let p = dir.join("index.html");
    write(&p, crate::gallery::html(GALLERY_TITLE, &svgs).as_bytes())?;
    written.push(p);
    let p = dir.join("interactive.html");
    write(&p, interactive_html(opt).as_bytes())?;
    written.push(p);
    Ok(written)
}

/// Regenerates the committed gallery under the repository root `root`: `docs/gallery/*.svg` and
/// the page `docs/gallery/index.html`, with default options. Stale SVGs in `docs/gallery` (of
/// models no longer drawn) are removed. The output is byte-for-byte deterministic, so CI can
/// follow it with `git diff --exit-code docs/gallery`.
///
/// # Errors
/// [`DrawError::Write`] when a file cannot be written or a stale one removed.
pub fn gallery_regenerate(root: &Path) -> Result<(), DrawError> {
    gallery_regenerate_with(root, &[])
}

/// [`gallery_regenerate`] with `extra` circuits drawn after the zoo (see [`draw_zoo_with`]).
///
/// # Errors
/// As [`gallery_regenerate`].
pub fn gallery_regenerate_with(
    root: &Path,
    extra: &[(String, nc_diagram::ir::Circuit)],
) -> Result<(), DrawError> {
    let opt = DrawOptions::default();
    let dir = root.join("docs").join("gallery");
    std::fs::create_dir_all(&dir).map_err(|source| DrawError::Write {
        path: dir.clone(),
        source,
    })?;
    let written = draw_zoo_with(&dir, &opt, extra)?;
    let stale: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|source| DrawError::Write {
            path: dir.clone(),
            source,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg") && !written.contains(p))
        .collect();
    for p in stale {
        std::fs::remove_file(&p).map_err(|source| DrawError::Write { path: p, source })?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DrawError> {
    nc_core::output::write_atomic(path, bytes).map_err(|source| DrawError::Write {
        path: path.to_owned(),
        source,
    })
}
