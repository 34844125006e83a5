//! The interactive gallery: clicking a block expands it in place and clicking its title
//! collapses it, checked in headless Chromium (installed by `.ci/run`; `/usr/bin/chromium`).

use std::path::PathBuf;
use std::process::Command;

fn page() -> String {
    nc_diagram_draw::interactive_html(&Default::default())
}

/// Every model with blocks offers a click target leading to another state, and that state
/// leads back.
#[test]
fn blocks_link_to_their_expanded_state_and_back() {
    let c = nc_diagram::zoo::get("resnet").unwrap();
    let d = nc_diagram_draw::from_ir::from_circuit_with(&c, None, &Default::default());
    let m = nc_diagram_draw::interactive::model("resnet", &d, &Default::default());
    // resnet draws its blocks collapsed: one more state per distinct block
    assert!(m.states.len() >= 4, "{} states", m.states.len());
    assert!(m.states[0].contains("class=\"hot\" data-to=\"1\""));
    for (i, s) in m.states.iter().enumerate().skip(1) {
        assert!(
            s.contains("class=\"hot open\" data-to=\"0\""),
            "state {i} has no way back"
        );
    }
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Opens the page with `#selftest`: its script clicks the first block of every model, checks
/// the expanded state is shown, clicks its title, checks the first state is back, and writes
/// `ok N` (N models) or `fail ...` into the body's `data-selfcheck`.
#[test]
fn blocks_expand_and_collapse_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/run installs it)"
        );
        #[allow(
            clippy::print_stderr,
            reason = "the one notice that the check was skipped"
        )]
        {
            eprintln!("NOTICE: chromium not found; the interactive gallery was not clicked");
        }
        return;
    };
    let dir = std::env::temp_dir().join(format!("nc-interactive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("interactive.html");
    std::fs::write(&file, page()).unwrap();
    let profile = dir.join("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            "--allow-file-access-from-files",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}#selftest", file.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    let verdict = dom
        .split("data-selfcheck=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("missing");
    // resnet, unet, unet_ronneberger, transformer, vit and ncap_swimmer draw blocks
    let n: usize = verdict
        .strip_prefix("ok ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("self-check: {verdict}"));
    assert!(n >= 5, "only {n} models clicked through");
}
