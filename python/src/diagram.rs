//! Neural circuit diagrams from Python: parse, check, cost, run and draw circuits of
//! `nc-diagram`.

use crate::{CircuitError, runtime_error, to_py, value_error};
use nc_diagram::exec::{Bound as BoundSizes, ExecError, forward, init_params, random_inputs};
use nc_diagram::ir::Circuit as Ir;
use nc_diagram::size::Bindings;
use nc_diagram::tensor::Tensor;
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::HashMap;

/// An execution error: a size rule the checker enforces is a `CircuitError`, the rest
/// (shapes, indices, non-finite values) `ValueError`.
fn exec_err(e: ExecError) -> PyErr {
    match e {
        ExecError::Check(m) => CircuitError::new_err(m),
        other => value_error(other.to_string()),
    }
}

/// A typed circuit: axes with sizes, operations, parameters; checked, costed, run and drawn
/// by the toolkit.
#[pyclass(module = "neurocircuits._native")]
#[derive(Clone)]
pub struct Circuit {
    c: Ir,
}

impl Circuit {
    /// The circuit's default sizes overridden by `sizes`; an unknown name is an error that
    /// lists the circuit's sizes.
    fn bindings(&self, sizes: Option<HashMap<String, i64>>) -> PyResult<Bindings> {
        let mut b = self.c.default_bindings();
        for (k, v) in sizes.unwrap_or_default() {
            if !self.c.sizes.contains_key(&k) {
                let known: Vec<&str> = self.c.sizes.keys().map(String::as_str).collect();
                return Err(value_error(format!(
                    "{}: unknown size `{k}`; its sizes are {known:?}",
                    self.c.name
                )));
            }
            b.insert(k, v);
        }
        Ok(b)
    }

    fn bound(&self, sizes: Option<HashMap<String, i64>>) -> PyResult<BoundSizes> {
        BoundSizes::new(&self.c, &self.bindings(sizes)?).map_err(exec_err)
    }

    /// The parameters: initialised from `seed`, then replaced by the user's where given.
    fn param_tensors(
        &self,
        bound: &BoundSizes,
        seed: u64,
        given: Option<HashMap<String, PyReadonlyArrayDyn<'_, f64>>>,
    ) -> PyResult<Vec<Tensor<f64>>> {
        let mut p = init_params::<f64>(&self.c, bound, seed);
        for (name, a) in given.unwrap_or_default() {
            let Some(i) = self.c.params.iter().position(|q| q.name == name) else {
                let known: Vec<&str> = self.c.params.iter().map(|q| q.name.as_str()).collect();
                return Err(value_error(format!(
                    "params: `{name}` is no parameter of {}; its parameters are {known:?}",
                    self.c.name
                )));
            };
            let q = &self.c.params[i];
            p[i] = tensor(&format!("params[{name:?}]"), &a, q.axes.clone(), bound)?;
        }
        Ok(p)
    }

    fn axis_names(&self, axes: &[nc_diagram::ir::AxisId]) -> Vec<String> {
        axes.iter().map(|a| self.c.axis_label(*a)).collect()
    }

    /// `(name, axis names)` of each value.
    fn named_values(&self, values: &[nc_diagram::ir::ValueId]) -> Vec<(String, Vec<String>)> {
        values
            .iter()
            .map(|v| {
                let val = self.c.value(*v);
                (val.name.clone(), self.axis_names(&val.ty.axes))
            })
            .collect()
    }
}

/// A user array as a tensor on `axes`, its shape checked against the bound sizes.
fn tensor(
    what: &str,
    a: &PyReadonlyArrayDyn<'_, f64>,
    axes: Vec<nc_diagram::ir::AxisId>,
    bound: &BoundSizes,
) -> PyResult<Tensor<f64>> {
    let dims = bound.dims(&axes);
    if a.shape() != dims.as_slice() {
        return Err(value_error(format!(
            "{what}: expected shape {dims:?}, got {:?}",
            a.shape()
        )));
    }
    let data: Vec<f64> = a.as_array().iter().copied().collect();
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        return Err(value_error(format!(
            "{what}: entry {i} (flat) must be finite, got {}",
            data[i]
        )));
    }
    Ok(Tensor::from_vec(axes, dims, data))
}

fn array<'py>(py: Python<'py>, t: Tensor<f64>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    Ok(ArrayD::from_shape_vec(IxDyn(&t.dims), t.data)
        .map_err(|e| runtime_error(e.to_string()))?
        .into_pyarray(py))
}

#[pymethods]
impl Circuit {
    /// Parses a circuit from the `.ncd` text format (or its JSON form); `file` names it in
    /// error messages, which read `file:line:col: message` as the CLI's do.
    #[staticmethod]
    #[pyo3(signature = (text, file="<string>"))]
    fn parse(text: &str, file: &str) -> PyResult<Self> {
        let c = nc_diagram::parse::text::load(text)
            .map_err(|e| CircuitError::new_err(e.in_file(file)))?;
        Ok(Circuit { c })
    }

    /// A model of the zoo (see `zoo_names()`).
    #[staticmethod]
    fn zoo(name: &str) -> PyResult<Self> {
        nc_diagram::zoo::get(name)
            .map(|c| Circuit { c })
            .ok_or_else(|| {
                value_error(format!(
                    "no zoo model `{name}`; the zoo has {:?}",
                    nc_diagram::zoo::names()
                ))
            })
    }

    /// The zoo's models: `(name, description)`.
    #[staticmethod]
    fn zoo_models() -> Vec<(&'static str, &'static str)> {
        nc_diagram::zoo::MODELS.to_vec()
    }

    /// The circuit's name.
    #[getter]
    fn name(&self) -> String {
        self.c.name.clone()
    }

    /// Declared size symbols and their defaults (None when a size has no default).
    #[getter]
    fn sizes(&self) -> HashMap<String, Option<i64>> {
        self.c.sizes.clone().into_iter().collect()
    }

    /// Inputs: `(name, axis names)` in order; arrays passed to `run` use this axis order.
    #[getter]
    fn inputs(&self) -> Vec<(String, Vec<String>)> {
        self.named_values(&self.c.inputs)
    }

    /// Outputs: `(name, axis names)` in order.
    #[getter]
    fn outputs(&self) -> Vec<(String, Vec<String>)> {
        self.named_values(&self.c.outputs)
    }

    /// Parameters: `(name, axis names)` in order.
    #[getter]
    fn param_axes(&self) -> Vec<(String, Vec<String>)> {
        self.c
            .params
            .iter()
            .map(|p| (p.name.clone(), self.axis_names(&p.axes)))
            .collect()
    }

    /// Runs the checker under the given sizes: a list of `(code, severity, message, help,
    /// location)`, `location` the operation's name (None for the whole circuit).
    #[pyo3(signature = (sizes=None))]
    #[allow(clippy::type_complexity)]
    fn check(
        &self,
        sizes: Option<HashMap<String, i64>>,
    ) -> PyResult<Vec<(String, String, String, Option<String>, Option<String>)>> {
        let b = self.bindings(sizes)?;
        let r = nc_diagram::check::check(&self.c, &b);
        Ok(r.diagnostics
            .iter()
            .map(|d| {
                let sev = match d.severity {
                    nc_diagram::check::Severity::Error => "error",
                    nc_diagram::check::Severity::Warning => "warning",
                };
                (
                    d.code.to_string(),
                    sev.to_string(),
                    d.message.clone(),
                    d.help.clone(),
                    d.node.map(|n| self.c.node(n).name.clone()),
                )
            })
            .collect())
    }

    /// The cost report of `neurocircuits diagram cost --json` under the given sizes:
    /// parameters, FLOPs forward and backward, memory, formulas, per block and per node.
    #[pyo3(signature = (sizes=None, bytes=4))]
    fn cost<'py>(
        &self,
        py: Python<'py>,
        sizes: Option<HashMap<String, i64>>,
        bytes: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let b = self.bindings(sizes)?;
        let s = nc_diagram::cost::summarize(&self.c, &b, bytes).map_err(exec_err)?;
        to_py(py, &s)
    }

    /// The drawing as SVG text (`expand`: blocks to draw open; `depth`: open blocks to this
    /// nesting depth; `cost`: FLOPs and memory under each box).
    #[pyo3(signature = (expand=Vec::new(), depth=None, cost=false))]
    fn svg(&self, py: Python<'_>, expand: Vec<String>, depth: Option<usize>, cost: bool) -> String {
        let opt = draw_options(expand, depth, cost);
        py.detach(|| nc_diagram_draw::draw_circuit(&self.c, &opt))
    }

    /// The drawing as a standalone TikZ document, as the CLI writes it (options as `svg`).
    #[pyo3(signature = (expand=Vec::new(), depth=None, cost=false))]
    fn tikz(
        &self,
        py: Python<'_>,
        expand: Vec<String>,
        depth: Option<usize>,
        cost: bool,
    ) -> String {
        let opt = draw_options(expand, depth, cost);
        // the CLI's `.tex` output: the same scene, as a standalone document
        py.detach(|| {
            nc_diagram_draw::tikz::document(&nc_diagram_draw::draw::circuit_scene(&self.c, &opt))
        })
    }

    /// The circuit in the `.ncd` text format (canonical; `parse` gives it back).
    fn to_text(&self) -> String {
        nc_diagram::parse::text::save(&self.c)
    }

    /// The parameters as initialised from `seed` under the given sizes: name → array, axes in
    /// `param_axes` order.
    #[pyo3(signature = (seed=0, sizes=None))]
    fn params<'py>(
        &self,
        py: Python<'py>,
        seed: u64,
        sizes: Option<HashMap<String, i64>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let bound = self.bound(sizes)?;
        let p = init_params::<f64>(&self.c, &bound, seed);
        let d = PyDict::new(py);
        for (q, t) in self.c.params.iter().zip(p) {
            d.set_item(&q.name, array(py, t)?)?;
        }
        Ok(d)
    }

    /// Runs the circuit forward in f64. `inputs`: name → array (axes in `inputs` order; None
    /// draws seeded random inputs as `diagram run` does); `params`: name → array, the rest
    /// initialised from `seed`. Returns output name → array.
    #[pyo3(signature = (inputs=None, params=None, seed=0, sizes=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        inputs: Option<HashMap<String, PyReadonlyArrayDyn<'py, f64>>>,
        params: Option<HashMap<String, PyReadonlyArrayDyn<'py, f64>>>,
        seed: u64,
        sizes: Option<HashMap<String, i64>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let bound = self.bound(sizes)?;
        let p = self.param_tensors(&bound, seed, params)?;
        let x = match inputs {
            None => random_inputs::<f64>(&self.c, &bound, seed + 1),
            Some(mut given) => {
                let mut x = Vec::with_capacity(self.c.inputs.len());
                for v in &self.c.inputs {
                    let val = self.c.value(*v);
                    let a = given.remove(&val.name).ok_or_else(|| {
                        let want: Vec<String> = self
                            .c
                            .inputs
                            .iter()
                            .map(|v| {
                                let val = self.c.value(*v);
                                format!("{} {:?}", val.name, bound.dims(&val.ty.axes))
                            })
                            .collect();
                        value_error(format!(
                            "inputs: `{}` is missing; {} takes {}",
                            val.name,
                            self.c.name,
                            want.join(", ")
                        ))
                    })?;
                    x.push(tensor(
                        &format!("inputs[{:?}]", val.name),
                        &a,
                        val.ty.axes.clone(),
                        &bound,
                    )?);
                }
                if let Some(extra) = given.keys().next() {
                    return Err(value_error(format!(
                        "inputs: `{extra}` is no input of {}",
                        self.c.name
                    )));
                }
                x
            }
        };
        let c = &self.c;
        let tape = py.detach(|| forward(c, &bound, &p, &x)).map_err(exec_err)?;
        let d = PyDict::new(py);
        for (i, v) in self.c.outputs.iter().enumerate() {
            let t = tape
                .output(&self.c, i)
                .ok_or_else(|| runtime_error(format!("output {i} was not computed")))?;
            d.set_item(&self.c.value(*v).name, array(py, t)?)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Circuit({:?}: {} ops, {} params, sizes {:?})",
            self.c.name,
            self.c.nodes.len(),
            self.c.params.len(),
            self.c.default_bindings()
        )
    }
}

fn draw_options(
    expand: Vec<String>,
    depth: Option<usize>,
    cost: bool,
) -> nc_diagram_draw::DrawOptions {
    // built on the defaults so options added to the drawing crate keep their defaults
    #[allow(clippy::field_reassign_with_default)]
    {
        let mut opt = nc_diagram_draw::DrawOptions::default();
        opt.expand = expand;
        opt.depth = depth;
        opt.cost = cost;
        opt
    }
}

/// Registers the diagram class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Circuit>()?;
    Ok(())
}
