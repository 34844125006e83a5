//! The file format: every zoo model round-trips, and broken files are refused with a reason.

use nc_diagram::parse::text::{load, save};
use nc_diagram::zoo;

#[test]
fn zoo_round_trips() {
    for name in zoo::names() {
        let c = zoo::get(name).unwrap();
        let text = save(&c);
        let back = load(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, c, "{name}");
        assert_eq!(save(&back), text, "{name}: saving is deterministic");
    }
}

#[test]
fn broken_files_are_refused() {
    let c = zoo::mlp();
    let text = save(&c);
    let e = load(&text[..text.len() / 2]).unwrap_err();
    assert!(e.to_string().starts_with("line "), "{e}");
    let mut bad = c.clone();
    bad.nodes.swap(1, 2);
    bad.nodes[1].id.0 = 1;
    bad.nodes[2].id.0 = 2;
    let e = load(&save(&bad)).unwrap_err();
    assert!(e.to_string().contains("before it is computed"), "{e}");
}
