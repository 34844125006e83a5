//! Integration tests of nc-swimmer against MuJoCo 3.17 / dm_control 1.0.50 reference data
//! (`tests/data/windows.json`, made by `tools/reference/swimmer/make_windows.py`), and
//! fuzzing of the `swimmer simulate` input. The target task is checked against dm_control's
//! (`tests/data/navigate.json`, made by `tools/reference/swimmer/make_navigate.py`).

mod batch;
mod fuzz;
mod navigate;
mod reference;
mod stages;
mod task;
mod windows;
