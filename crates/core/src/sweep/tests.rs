use super::*;
use serde::Serialize;
use std::sync::Mutex;

#[derive(Clone, Debug, Serialize)]
struct Key {
    seed: u64,
    iters: usize,
}

struct Job(Key);

impl Unit for Job {
    type Key = Key;
    fn name(&self) -> String {
        format!("seed{}", self.0.seed)
    }
    fn key(&self) -> &Key {
        &self.0
    }
}

fn grid(seeds: u64, iters: usize) -> Vec<Job> {
    (0..seeds).map(|seed| Job(Key { seed, iters })).collect()
}

#[derive(Debug, thiserror::Error)]
#[error("boom at seed {0}")]
struct Boom(u64);

// writes seed * iters into the unit folder; seeds in `diverge` diverge, seeds in `fail` fail
fn runner<'a>(
    calls: &'a Mutex<Vec<u64>>,
    diverge: &'a [u64],
    fail: &'a [u64],
) -> impl Fn(usize, &Job, &Path) -> Result<Outcome, Boom> + Sync + 'a {
    move |_, j, dir| {
        calls.lock().unwrap().push(j.0.seed);
        if fail.contains(&j.0.seed) {
            return Err(Boom(j.0.seed));
        }
        if diverge.contains(&j.0.seed) {
            return Ok(Outcome::Diverged {
                reason: "loss is NaN, at step 3".into(),
            });
        }
        std::fs::write(
            dir.join("value.txt"),
            (j.0.seed * j.0.iters as u64).to_string(),
        )
        .unwrap();
        Ok(Outcome::Finished)
    }
}

fn quiet(_: Event) {}

#[test]
fn resume_skips_matching_units_and_refuses_other_keys_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let opts = RunOptions::new(dir.path());
    let calls = Mutex::new(Vec::new());
    let units = grid(3, 100);
    let s = Sweep::new("toy", &serde_json::json!({"iters": 100}), &units).unwrap();
    assert!(
        s.run(&opts, &quiet, runner(&calls, &[], &[]))
            .unwrap()
            .complete()
    );
    assert_eq!(*calls.lock().unwrap(), vec![0, 1, 2]);
    // same keys: nothing runs
    calls.lock().unwrap().clear();
    let st = s.run(&opts, &quiet, runner(&calls, &[], &[])).unwrap();
    assert!(st.complete() && calls.lock().unwrap().is_empty());
    // another iters: refused, naming the field and the values
    let other = grid(4, 300);
    let s2 = Sweep::new("toy", &serde_json::json!({"iters": 300}), &other).unwrap();
    let e = s2.run(&opts, &quiet, runner(&calls, &[], &[])).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(&e, SweepError::Stale { units, .. } if units.len() == 3),
        "{msg}"
    );
    assert!(
        msg.contains("seed0: iters: 100 stored, 300 now") && msg.contains("--force"),
        "{msg}"
    );
    assert!(calls.lock().unwrap().is_empty());
    // nothing was touched: the old results are still there
    let v = std::fs::read_to_string(dir.path().join("units/seed2/value.txt")).unwrap();
    assert_eq!(v, "200");
    // --force recomputes the stale units (and runs the new one)
    let forced = RunOptions {
        force: true,
        ..opts.clone()
    };
    assert!(
        s2.run(&forced, &quiet, runner(&calls, &[], &[]))
            .unwrap()
            .complete()
    );
    assert_eq!(*calls.lock().unwrap(), vec![0, 1, 2, 3]);
    let v = std::fs::read_to_string(dir.path().join("units/seed2/value.txt")).unwrap();
    assert_eq!(v, "600");
    let m = read_manifest(dir.path()).unwrap().unwrap();
    assert_eq!(m.config["iters"], 300);
    assert_eq!(m.units.len(), 4);
}

#[test]
fn a_grown_grid_reuses_the_units_it_shares() {
    let dir = tempfile::tempdir().unwrap();
    let opts = RunOptions::new(dir.path());
    let calls = Mutex::new(Vec::new());
    let two = grid(2, 10);
    Sweep::new("toy", &2, &two)
        .unwrap()
        .run(&opts, &quiet, runner(&calls, &[], &[]))
        .unwrap();
    calls.lock().unwrap().clear();
    let three = grid(3, 10);
    Sweep::new("toy", &3, &three)
        .unwrap()
        .run(&opts, &quiet, runner(&calls, &[], &[]))
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), vec![2]);
}

#[test]
fn divergence_is_recorded_and_settles_the_unit_a_failure_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let opts = RunOptions::new(dir.path());
    let calls = Mutex::new(Vec::new());
    let units = grid(3, 5);
    let s = Sweep::new("toy", &(), &units).unwrap();
    let e = s
        .run(&opts, &quiet, runner(&calls, &[1], &[2]))
        .unwrap_err();
    assert_eq!(e.to_string(), "unit seed2: boom at seed 2");
    let st = s.status(dir.path()).unwrap();
    assert_eq!(st.finished(), vec![0]);
    assert_eq!(st.diverged(), vec![(1, "loss is NaN, at step 3")]);
    assert_eq!(st.units[2], Some(UnitState::Running));
    assert!(!dir.path().join(DIVERGED).exists());
    // the failed unit runs again (its leftover temporaries go); the diverged one does not
    let junk = dir.path().join("units/seed2/.value.txt.4242.tmp");
    std::fs::write(&junk, "half").unwrap();
    let junk2 = dir.path().join("units/.seed2.unit.json.4194999.tmp");
    std::fs::write(&junk2, "{").unwrap();
    calls.lock().unwrap().clear();
    let st = s.run(&opts, &quiet, runner(&calls, &[1], &[])).unwrap();
    assert_eq!(*calls.lock().unwrap(), vec![2]);
    assert!(st.complete() && !junk.exists() && !junk2.exists());
    let csv = std::fs::read_to_string(dir.path().join(DIVERGED)).unwrap();
    assert_eq!(csv, "unit,reason\nseed1,loss is NaN  at step 3\n");
    let rec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("units/seed1.unit.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rec["state"], "diverged");
    assert_eq!(rec["key"]["seed"], 1);
}

#[test]
fn bad_grids_are_refused() {
    let none: Vec<Job> = Vec::new();
    let e = Sweep::new("toy", &(), &none).err().unwrap();
    assert!(e.to_string().contains("grid is empty"), "{e}");
    let twice = vec![
        Job(Key { seed: 1, iters: 1 }),
        Job(Key { seed: 1, iters: 2 }),
    ];
    let e = Sweep::new("toy", &(), &twice).err().unwrap();
    assert!(e.to_string().contains("\"seed1\""), "{e}");
    struct Bad;
    impl Unit for Bad {
        type Key = ();
        fn name(&self) -> String {
            "../x".into()
        }
        fn key(&self) -> &() {
            &()
        }
    }
    let e = Sweep::new("toy", &(), &[Bad]).err().unwrap();
    assert!(e.to_string().contains("not a safe folder name"), "{e}");
}

#[test]
fn foreign_folders_and_experiments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let opts = RunOptions::new(dir.path());
    let calls = Mutex::new(Vec::new());
    let units = grid(2, 1);
    // a folder killed before its record was written (empty, or only a temporary) is fresh
    std::fs::create_dir_all(dir.path().join("units/seed0")).unwrap();
    std::fs::write(dir.path().join("units/seed0/.unit.json.77.tmp"), "{").unwrap();
    std::fs::create_dir_all(dir.path().join("units/seed1")).unwrap();
    std::fs::write(dir.path().join("units/seed1/notes.txt"), "mine").unwrap();
    let s = Sweep::new("toy", &(), &units).unwrap();
    assert_eq!(s.stale_units(dir.path()).unwrap().len(), 1);
    let e = s
        .run(&opts, &quiet, runner(&calls, &[], &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("seed1") && e.contains("has no record"), "{e}");
    let forced = RunOptions {
        force: true,
        ..opts.clone()
    };
    assert!(
        s.run(&forced, &quiet, runner(&calls, &[], &[]))
            .unwrap()
            .complete()
    );
    let other = Sweep::new("other", &(), &units).unwrap();
    let e = other
        .run(&forced, &quiet, runner(&calls, &[], &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("holds a toy sweep, not other"), "{e}");
}

#[test]
fn parallel_and_sequential_runs_write_the_same_files() {
    let root = tempfile::tempdir().unwrap();
    let calls = Mutex::new(Vec::new());
    let units = grid(6, 7);
    let s = Sweep::new("toy", &(), &units).unwrap();
    for (name, parallel) in [("seq", false), ("par", true)] {
        let opts = RunOptions {
            parallel,
            ..RunOptions::new(&root.path().join(name))
        };
        s.run(&opts, &quiet, runner(&calls, &[4], &[])).unwrap();
    }
    for f in [
        "sweep.json",
        "diverged.csv",
        "units/seed5.unit.json",
        "units/seed5/value.txt",
    ] {
        let read = |d: &str| std::fs::read(root.path().join(d).join(f)).unwrap();
        assert_eq!(read("seq"), read("par"), "{f}");
    }
}

#[test]
fn shards_merge_into_the_unsharded_folder() {
    let root = tempfile::tempdir().unwrap();
    let calls = Mutex::new(Vec::new());
    let units = grid(5, 3);
    let s = Sweep::new("toy", &"cfg", &units).unwrap();
    let events = Mutex::new(Vec::new());
    let log = |e: Event| events.lock().unwrap().push(e);
    for i in 0..2 {
        let opts = RunOptions {
            shard: Shard { index: i, count: 2 },
            ..RunOptions::new(&root.path().join(format!("s{i}")))
        };
        let st = s.run(&opts, &log, runner(&calls, &[3], &[])).unwrap();
        assert!(!st.complete());
    }
    assert_eq!(
        events.lock().unwrap()[0],
        Event::Start {
            total: 5,
            mine: 3,
            pending: 3
        }
    );
    s.run(
        &RunOptions::new(&root.path().join("all")),
        &quiet,
        runner(&calls, &[3], &[]),
    )
    .unwrap();
    let shards = [root.path().join("s0"), root.path().join("s1")];
    let out = root.path().join("m");
    // partial merge, then the rest into the same folder
    let m = merge(&shards[..1], &out).unwrap();
    assert_eq!(m.status().settled(), 3);
    m.commit().unwrap();
    let m = merge(&shards[1..], &out).unwrap();
    assert!(m.status().complete());
    assert_eq!(m.manifest().experiment, "toy");
    m.commit().unwrap();
    for f in [
        "sweep.json",
        "diverged.csv",
        "units/seed4/value.txt",
        "units/seed3.unit.json",
    ] {
        let read = |d: &Path| std::fs::read(d.join(f)).unwrap();
        assert_eq!(read(&out), read(&root.path().join("all")), "{f}");
    }
}

#[test]
fn merge_refuses_other_sweeps_and_missing_folders_and_leaves_nothing_on_failure() {
    let root = tempfile::tempdir().unwrap();
    let calls = Mutex::new(Vec::new());
    let a = grid(2, 3);
    let b = grid(2, 4);
    let run = |units: &[Job], cfg: usize, name: &str| {
        Sweep::new("toy", &serde_json::json!({ "iters": cfg }), units)
            .unwrap()
            .run(
                &RunOptions::new(&root.path().join(name)),
                &quiet,
                runner(&calls, &[], &[]),
            )
            .unwrap();
    };
    run(&a, 3, "a");
    run(&b, 4, "b");
    let out = root.path().join("m");
    let e = merge(&[root.path().join("a"), root.path().join("b")], &out)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("belongs to another sweep") && e.contains("config.iters: 3 stored, 4 now"),
        "{e}"
    );
    let missing = root.path().join("nope");
    let e = merge(&[root.path().join("a"), missing.clone()], &out)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!("shard folder {} does not exist", missing.display())
    );
    let e = merge(&[], &out).unwrap_err().to_string();
    assert!(e.contains("at least one"), "{e}");
    // a merge dropped before its commit (aggregation failed) leaves no folder behind
    drop(merge(&[root.path().join("a")], &out).unwrap());
    assert!(!out.exists());
    let names: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    // a target holding other files is never replaced
    let busy = root.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let e = merge(&[root.path().join("a")], &busy)
        .unwrap_err()
        .to_string();
    assert!(e.contains("refuses to replace"), "{e}");
    assert!(busy.join("notes.txt").exists());
    // a target of another sweep is refused too
    let e = merge(&[root.path().join("a")], &root.path().join("b"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("belongs to another sweep"), "{e}");
}

#[test]
fn run_each_takes_a_stateful_runner_and_reports_progress_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let units = grid(3, 2);
    let s = Sweep::new("toy", &(), &units).unwrap();
    let mut seen = Vec::new();
    let mut events = Vec::new();
    let st = s
        .run_each(
            &RunOptions::new(dir.path()),
            &mut |e| events.push(e),
            |i, j: &Job, _: &Path| {
                seen.push((i, j.0.seed));
                Ok::<_, Boom>(Outcome::Finished)
            },
        )
        .unwrap();
    assert!(st.complete());
    assert_eq!(seen, vec![(0, 0), (1, 1), (2, 2)]);
    assert_eq!(events.len(), 4);
    assert!(
        matches!(&events[3], Event::UnitDone { done: 3, pending: 3, unit, diverged: false } if unit == "seed2")
    );
}

#[test]
fn a_stale_unit_goes_whole_and_only_its_own_siblings_go_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let calls = Mutex::new(Vec::new());
    struct Named(&'static str, u64);
    impl Unit for Named {
        type Key = u64;
        fn name(&self) -> String {
            self.0.into()
        }
        fn key(&self) -> &u64 {
            &self.1
        }
    }
    let run = |_: usize, _: &Named, d: &Path| {
        calls.lock().unwrap().push(());
        std::fs::write(d.join("x"), "1").map(|_| Outcome::Finished)
    };
    // two names where one is a prefix of the other up to a dot
    let v1 = [Named("g1", 1), Named("g1.5", 1)];
    let s = Sweep::new("toy", &(), &v1).unwrap();
    s.run(&RunOptions::new(dir.path()), &quiet, run).unwrap();
    let units = dir.path().join("units");
    std::fs::create_dir_all(units.join(".g1.partial")).unwrap();
    std::fs::create_dir_all(units.join(".g1.5.partial")).unwrap();
    std::fs::write(units.join(".g1.5.unit.json.99.tmp"), "").unwrap();
    // g1 changes key; forced, it goes whole, g1.5 keeps everything
    let v2 = [Named("g1", 2), Named("g1.5", 1)];
    let forced = RunOptions {
        force: true,
        ..RunOptions::new(dir.path())
    };
    let s2 = Sweep::new("toy", &(), &v2).unwrap();
    assert_eq!(s2.stale_units(dir.path()).unwrap().len(), 1);
    calls.lock().unwrap().clear();
    s2.run(&forced, &quiet, run).unwrap();
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert!(!units.join(".g1.partial").exists());
    assert!(units.join(".g1.5.partial").exists());
    assert!(units.join(".g1.5.unit.json.99.tmp").exists());
    assert!(units.join("g1.5/x").exists() && units.join("g1/x").exists());
    assert!(sibling("g1", ".g1.partial") == Some(Sibling::Partial));
    assert!(sibling("g1", ".g1.5.partial").is_none() && sibling("g1", "g1.5.unit.json").is_none());
    assert!(sibling("g1", "g1.5").is_none());
}
