//! `neurocircuits ncap`: exact resume after SIGINT and SIGKILL, and the refusals and messages
//! of bad input, through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary starts")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The log without its wall-time column, which no two runs share.
fn log_without_seconds(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("log.csv"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            c.remove(3);
            c.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn train_args<'a>(algo: &'a [&'a str], out: &'a str) -> Vec<&'a str> {
    let mut v = vec!["ncap", "train"];
    v.extend_from_slice(algo);
    v.extend_from_slice(&["--test-episodes", "2", "--out", out]);
    v
}

/// Trains once uninterrupted, then twice interrupted (SIGINT, SIGKILL) after a checkpoint and
/// resumed; the policies must be byte-identical and the logs equal but for wall time.
fn kill_and_resume(algo: &[&str]) {
    let root = tempfile::tempdir().unwrap();
    let path = |name: &str| root.path().join(name).to_string_lossy().into_owned();
    let whole = path("whole");
    let o = run(&train_args(algo, &whole));
    assert!(o.status.success(), "{}", stderr(&o));
    for signal in ["INT", "KILL"] {
        let out = path(signal);
        let partial = root.path().join(format!(".{signal}.partial"));
        let mut child = bin();
        child
            .args(train_args(algo, &out))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = support::with_default_sigint(&mut child).spawn().unwrap();
        // wait for the first checkpoint, then a little into the next epoch
        let start = Instant::now();
        while !partial.join("checkpoint.safetensors").exists() {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no checkpoint after 2 minutes"
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "finished before a checkpoint"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(150));
        let st = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let status = child.wait().unwrap();
        assert!(!status.success(), "{signal}: the run ended by itself");
        assert!(
            !Path::new(&out).exists(),
            "{signal}: the run finished before the kill; the test needs a longer run"
        );
        // a killed write leaves only its temporary file; it must not disturb the resume
        std::fs::write(
            partial.join(".checkpoint.safetensors.999999999.tmp"),
            b"torn",
        )
        .unwrap();
        let o = run(&train_args(algo, &out));
        assert!(o.status.success(), "{signal}: {}", stderr(&o));
        let policy = |d: &str| std::fs::read(PathBuf::from(d).join("policy.safetensors")).unwrap();
        assert_eq!(policy(&out), policy(&whole), "{signal}: policies differ");
        assert_eq!(
            log_without_seconds(Path::new(&out)),
            log_without_seconds(Path::new(&whole)),
            "{signal}: logs differ"
        );
        assert!(
            !partial.exists(),
            "{signal}: the partial folder is left over"
        );
    }
}

#[test]
fn es_resumes_bit_identically_after_sigint_and_sigkill() {
    kill_and_resume(&["--algo", "es", "--es", "ncap-fast", "--steps", "48000"]);
}

#[test]
fn ppo_resumes_bit_identically_after_sigint_and_sigkill() {
    // 300-step episodes: every segment boundary falls mid-episode
    kill_and_resume(&[
        "--algo",
        "ppo",
        "--model",
        "mlp",
        "--steps",
        "16384",
        "--episode-len",
        "300",
        "--mlp-hidden",
        "16,16",
        "--critic-hidden",
        "16,16",
    ]);
}

#[test]
fn ddpg_resumes_bit_identically_after_sigint_and_sigkill() {
    kill_and_resume(&[
        "--algo",
        "ddpg",
        "--model",
        "mlp",
        "--steps",
        "4800",
        "--episode-len",
        "300",
        "--mlp-hidden",
        "32,32",
        "--critic-hidden",
        "32,32",
    ]);
}

#[test]
fn budgets_below_one_update_are_refused_and_rounding_is_reported() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("r");
    let o_ = out.to_str().unwrap();
    for (algo, steps, minimum) in [("ppo", "4000", "4096"), ("es", "5000", "8000")] {
        let o = run(&[
            "ncap", "train", "--algo", algo, "--steps", steps, "--out", o_,
        ]);
        let e = stderr(&o);
        assert!(!o.status.success(), "{algo}: {e}");
        assert!(e.contains(&format!("at least {minimum}")), "{algo}: {e}");
        assert!(!out.exists(), "{algo}: a refused run left a folder");
    }
    // 5,000 steps of 100-step ES episodes: 6 generations of 800 train 4,800, and it says so
    let o = run(&[
        "ncap",
        "train",
        "--steps",
        "5000",
        "--episode-len",
        "100",
        "--test-episodes",
        "1",
        "--out",
        o_,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("4800 of the 5000 steps"),
        "{}",
        stderr(&o)
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        (s["steps"].as_u64(), s["max_steps"].as_u64()),
        (Some(4800), Some(5000))
    );
    // a folder holding another run is refused (naming the field) unless --force
    let ppo = [
        "ncap",
        "train",
        "--algo",
        "ppo",
        "--steps",
        "4096",
        "--episode-len",
        "100",
        "--test-episodes",
        "1",
        "--mlp-hidden",
        "8,8",
        "--critic-hidden",
        "8,8",
        "--model",
        "mlp",
        "--out",
        o_,
    ];
    let o = run(&ppo);
    let e = stderr(&o);
    assert!(
        !o.status.success() && e.contains("another run") && e.contains("--force"),
        "{e}"
    );
    assert!(e.contains("algo: \"es\" → \"ppo\""), "{e}");
    let spec = std::fs::read_to_string(out.join("spec.json")).unwrap();
    assert!(
        spec.contains("\"es\""),
        "the refused run must not touch the folder"
    );
    let o = run(&[&ppo[..], &["--force"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let spec = std::fs::read_to_string(out.join("spec.json")).unwrap();
    assert!(
        spec.contains("\"ppo\"") && spec.contains("\"mlp_hidden\""),
        "{spec}"
    );
}

#[test]
fn bad_input_leaves_no_folder_and_says_what_is_wrong() {
    let root = tempfile::tempdir().unwrap();
    let p = |n: &str| root.path().join(n).to_string_lossy().into_owned();
    std::fs::write(p("corrupt.json"), "{\"kind\": \"ncap\", \"ncap\": 7").unwrap();
    let cases: [(Vec<String>, &str); 7] = [
        (
            vec![
                "train".into(),
                "--ablation".into(),
                "999".into(),
                "--out".into(),
                p("a"),
            ],
            "ablation code \"999\"",
        ),
        (
            vec![
                "raster".into(),
                "--policy".into(),
                p("corrupt.json"),
                "--out".into(),
                p("b"),
            ],
            "corrupt.json",
        ),
        (
            vec![
                "render".into(),
                "--policy".into(),
                p("corrupt.json"),
                "--out".into(),
                p("c"),
            ],
            "corrupt.json",
        ),
        (
            vec![
                "train".into(),
                "--mlp-hidden".into(),
                "64,0".into(),
                "--out".into(),
                p("d"),
            ],
            "positive integers",
        ),
        (
            vec!["merge".into(), "--out".into(), p("e"), p("nothere")],
            "does not exist",
        ),
        (
            vec![
                "ablations".into(),
                "--quick".into(),
                "--steps".into(),
                "3000".into(),
                "--out".into(),
                p("f"),
            ],
            "needs at least 8000 environment steps",
        ),
        (
            vec![
                "train".into(),
                "--steps".into(),
                "8000".into(),
                "--out".into(),
                format!("{}/run", p("corrupt.json")),
            ],
            "corrupt.json/run: Not a directory",
        ),
    ];
    for (args, needle) in cases {
        let mut a = vec!["ncap".to_string()];
        a.extend(args.iter().cloned());
        let o = bin().args(&a).output().unwrap();
        let e = stderr(&o);
        assert!(!o.status.success(), "{a:?}");
        assert!(e.contains(needle), "{a:?}: {e}");
        assert!(!e.contains("invalid training config"), "{a:?}: {e}");
    }
    for d in ["a", "b", "c", "d", "f"] {
        assert!(!root.path().join(d).exists(), "{d} was created");
    }
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "corrupt.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn eval_seed_arithmetic_is_checked() {
    let o = run(&[
        "ncap",
        "eval",
        "--seed",
        "18446744073709551615",
        "--episodes",
        "2",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("pass the largest seed"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "ncap",
        "eval",
        "--policy",
        "zero",
        "--seed",
        "18446744073709551615",
        "--episodes",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("seeds 18446744073709551615 to 18446744073709551615"),
        "{s}"
    );
}
