//! richlazy bindings (filled in next).

use pyo3::prelude::*;

/// Registers the richlazy functions.
pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
