//! Every zoo drawing's TikZ is a document `pdflatex` compiles (texlive: the Debian packages
//! texlive-latex-base, texlive-latex-recommended, texlive-latex-extra and texlive-pictures).
//! Where pdflatex is absent the test says so and checks nothing more; CI installs it.

use std::process::Command;

#[test]
fn every_zoo_drawing_compiles_with_pdflatex() {
    let found = Command::new("pdflatex").arg("--version").output().is_ok();
    if !found {
        #[allow(
            clippy::print_stderr,
            reason = "the one notice that the check was skipped"
        )]
        {
            eprintln!("NOTICE: pdflatex not found; the TikZ output was not compiled");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    let mut n = 0;
    for name in nc_diagram::zoo::names() {
        let c = nc_diagram::zoo::get(name).unwrap();
        for (block, scene) in nc_diagram_draw::circuit_scenes(&c, &Default::default()) {
            let stem = format!("{name}{}", nc_diagram_draw::fit::slug(&block));
            let tex = dir.path().join(format!("{stem}.tex"));
            std::fs::write(&tex, nc_diagram_draw::tikz::document(&scene)).unwrap();
            let out = Command::new("pdflatex")
                .args([
                    "-interaction=nonstopmode",
                    "-halt-on-error",
                    "-no-shell-escape",
                ])
                .arg(&tex)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let log = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() || !dir.path().join(format!("{stem}.pdf")).exists() {
                let err: String = log.lines().filter(|l| l.starts_with('!')).collect();
                bad.push(format!("{stem}: {err}"));
            } else if log.contains("Missing character") {
                bad.push(format!("{stem}: a glyph is missing from the font"));
            }
            n += 1;
        }
    }
    assert!(n > 20, "only {n} drawings");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
