//! `neurocircuits._native`: the Python extension of the neurocircuits toolkit.
//!
//! Brief overview: a thin PyO3 layer over the library crates. Every computation stays in
//! them; this crate converts numpy arrays and Python values, turns the libraries' typed errors
//! into Python exceptions (`ValueError` for bad input, [`SimulationError`] for a diverged
//! simulation, [`CircuitError`] for the circuit language), and releases the GIL around every
//! call that steps physics, trains or runs a circuit. The pure-Python package `neurocircuits`
//! (in `python/neurocircuits/`) wraps these classes as Gymnasium environments and plain
//! functions; its `_native.pyi` documents the types.
//!
//! - [`swimmer`]: one swimmer ([`swimmer::Swimmer`]) and a batch on a sized thread pool
//!   ([`swimmer::SwimmerBatch`]), with Gymnasium's autoreset modes;
//! - [`ncap`]: evaluation, saved policies and the trainers of `nc-ncap`;
//! - [`diagram`]: circuits of `nc-diagram`: load, check, cost, run, draw;
//! - [`richlazy`]: tasks, training and measures of `nc-richlazy`.

use pyo3::prelude::*;

pub mod diagram;
pub mod ncap;
pub mod richlazy;
pub mod swimmer;

pyo3::create_exception!(
    neurocircuits,
    SimulationError,
    pyo3::exceptions::PyRuntimeError,
    "The swimmer simulation diverged (a state became non-finite or exceeded MuJoCo's 1e10)."
);

pyo3::create_exception!(
    neurocircuits,
    CircuitError,
    pyo3::exceptions::PyValueError,
    "A circuit could not be parsed or checked; the message is the CLI's `file:line:col: ...`."
);

/// A `ValueError` with this message.
pub(crate) fn value_error(msg: impl Into<String>) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(msg.into())
}

/// A `RuntimeError` with this message.
pub(crate) fn runtime_error(msg: impl Into<String>) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(msg.into())
}

/// Calls a Python progress callback from a thread that released the GIL, attaching for the
/// call. The first exception it raises is kept in `err` (and later calls are skipped), for the
/// caller to raise once the work is done.
pub(crate) fn report_progress(
    cb: Option<&Py<PyAny>>,
    err: &mut Option<PyErr>,
    args: impl for<'py> pyo3::call::PyCallArgs<'py>,
) {
    if let Some(cb) = cb
        && err.is_none()
    {
        Python::attach(|py| {
            if let Err(e) = cb.call1(py, args) {
                *err = Some(e);
            }
        });
    }
}

/// A serialisable value as a Python object (through JSON, parsed by Python's `json`), so the
/// dicts returned match the CLI's `--json` output key for key.
pub(crate) fn to_py<'py>(
    py: Python<'py>,
    v: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v).map_err(|e| runtime_error(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SimulationError", py.get_type::<SimulationError>())?;
    m.add("CircuitError", py.get_type::<CircuitError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    swimmer::register(m)?;
    ncap::register(m)?;
    diagram::register(m)?;
    richlazy::register(m)?;
    Ok(())
}
