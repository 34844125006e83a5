//! The user-matrix loader against files written by numpy and the safetensors package
//! (tools/reference/richlazy/measures_reference.py), and its errors on bad files.

use nc_richlazy::connectome::{cell_types, load_square, load_tensor, matrix_report};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/loader")
        .join(name)
}

fn want(key: &str) -> Vec<f64> {
    let r: Value = serde_json::from_str(include_str!("data/measures_reference.json")).unwrap();
    r["loader"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn err(path: &Path, n: usize, tensor: Option<&str>) -> String {
    load_square(path, n, tensor).unwrap_err().to_string()
}

#[test]
fn reads_npy_safetensors_and_edge_lists_written_elsewhere() {
    assert_eq!(
        load_square(&fixture("w_f4.npy"), 4, None).unwrap(),
        want("w_f4")
    );
    assert_eq!(
        load_square(&fixture("three.safetensors"), 4, Some("w_h")).unwrap(),
        want("w")
    );
    assert_eq!(
        load_tensor(&fixture("three.safetensors"), Some("w_in"))
            .unwrap()
            .1,
        4
    );
    assert_eq!(
        load_square(&fixture("one_f16.safetensors"), 4, None).unwrap(),
        want("w_f16")
    );
    assert_eq!(
        load_square(&fixture("edges.csv"), 3, None).unwrap(),
        want("edges")
    );
    assert_eq!(
        load_square(&fixture("edges_int.csv"), 3, None).unwrap(),
        want("edges_int")
    );
}

#[test]
fn bad_files_name_the_file_the_place_and_what_was_expected() {
    let three = fixture("three.safetensors");
    let e = err(&three, 4, None);
    assert!(
        e.contains("three.safetensors")
            && e.contains("several 2-D tensors")
            && e.contains("--tensor"),
        "{e}"
    );
    let e = err(&three, 4, Some("nope"));
    assert!(
        e.contains("no tensor named \"nope\"") && e.contains("w_h"),
        "{e}"
    );
    let e = err(&three, 4, Some("bias"));
    assert!(e.contains("tensor \"bias\": expected 2-D"), "{e}");
    let e = err(&fixture("one_1d.safetensors"), 3, None);
    assert!(
        e.contains("one_1d.safetensors") && e.contains("none 2-D"),
        "{e}"
    );
    let e = err(&fixture("three.safetensors"), 3, Some("w_h"));
    assert!(e.contains("expected a 3x3") && e.contains("got 4x4"), "{e}");
    let e = err(&fixture("edges.csv"), 3, Some("w"));
    assert!(
        e.contains("edges.csv") && e.contains("not safetensors"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cut.safetensors");
    let bytes = std::fs::read(&three).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() - 10]).unwrap();
    let e = err(&bad, 4, Some("w_h"));
    assert!(
        e.contains("cut.safetensors") && e.contains("not a valid safetensors file"),
        "{e}"
    );
    let edges = dir.path().join("edges.csv");
    std::fs::write(&edges, "pre,post,weight\n1,2,0.5\n2,1,heavy\n").unwrap();
    let e = err(&edges, 2, None);
    assert!(
        e.contains("edges.csv: line 3, field weight: \"heavy\" is not a number"),
        "{e}"
    );
    std::fs::write(&edges, "pre,post,weight\n1,2\n").unwrap();
    let e = err(&edges, 2, None);
    assert!(
        e.contains("line 2: expected 3 fields (pre,post,weight), got 2"),
        "{e}"
    );
    std::fs::write(&edges, "pre,post,weight\n1,2,inf\n").unwrap();
    assert!(err(&edges, 2, None).contains("not finite"));
    std::fs::write(&edges, "pre,post,weight\n").unwrap();
    assert!(err(&edges, 2, None).contains("no edges"));
}

#[test]
fn the_report_gives_effective_ranks_as_loaded_renormalised_and_shuffled() {
    let n = 60;
    let w = cell_types(n, 4, &mut nc_core::rng::stream(2, "loader", 0)).unwrap();
    let r = matrix_report(&w, n, 1.25 * (n as f64).sqrt(), 0).unwrap();
    // every effective rank is scale-free: renormalising changes none of them
    for (a, b) in [
        (r.raw.entropy, r.renormalised.entropy),
        (r.raw.participation, r.renormalised.participation),
        (r.raw.stable, r.renormalised.stable),
        (r.raw.nuclear, r.renormalised.nuclear),
    ] {
        assert!((a - b).abs() < 1e-9 * a.max(1.0), "{a} vs {b}");
    }
    // shuffling destroys the block structure: higher rank
    assert!(r.shuffled.entropy > r.raw.entropy, "{r:?}");
    assert!((r.target - 1.25 * (n as f64).sqrt()).abs() < 1e-12);
}
