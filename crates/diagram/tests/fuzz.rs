//! Property-based fuzzing of every input a user hands the crate: the `.ncd` text (lexer
//! and loader), the circuit JSON, and `--bind` lists.
//!
//! The properties, for every input: no panic; memory (measured by a counting allocator)
//! and time stay bounded; a rejection comes with a message, free of control characters;
//! and what is accepted is sound: it saves and loads back to itself, and checks, costs and
//! runs (forward and backward) without a panic.
//!
//! CI runs a fixed number of cases per property (64) from a fixed seed, so a run is
//! reproducible. Before a release, run many more from fresh seeds:
//!
//! ```text
//! NC_FUZZ_CASES=20000 NC_FUZZ_SEED=$RANDOM cargo test --release -p nc-diagram --test fuzz
//! ```
//!
//! A failure is shrunk to a small input and saved in `tests/fuzz.proptest-regressions`,
//! which replays it first on every later run; commit that file with the fix.

mod counting_alloc;

use counting_alloc::peak_of;
use nc_diagram::backprop::backward;
use nc_diagram::cost::{check_memory, summarize};
use nc_diagram::exec::{Bound, forward, init_params, random_inputs};
use nc_diagram::ir::Circuit;
use nc_diagram::parse::text::{load, save, save_json, validate};
use nc_diagram::tensor::Tensor;
use nc_diagram::zoo;
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Cases per property: `NC_FUZZ_CASES`, else 64.
fn cases() -> u32 {
    std::env::var("NC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The generator's seed: `NC_FUZZ_SEED`, else a fixed one.
fn seed() -> u64 {
    std::env::var("NC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(17)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed()),
        ..ProptestConfig::default()
    }
}

/// What one input may cost. The loader's own limits (100000 items, 10M tokens) keep any
/// file far below this.
const MAX_BYTES: usize = 512 << 20;
const MAX_TIME: Duration = Duration::from_secs(20);

/// A rejection's message: present, one line of printable text.
fn check_message(msg: &str) -> Result<(), TestCaseError> {
    prop_assert!(!msg.trim().is_empty(), "empty error message");
    prop_assert!(
        !msg.chars().any(char::is_control),
        "control character in {msg:?}"
    );
    Ok(())
}

/// What any accepted circuit must survive: it validates, saves and loads back to itself,
/// checks and costs, and at small enough sizes runs forward and backward.
fn exercise(c: &Circuit) -> Result<(), TestCaseError> {
    prop_assert!(validate(c).is_ok());
    let text = save(c);
    let back = load(&text);
    prop_assert!(
        back.is_ok(),
        "saved text does not load: {:?}\n{text}",
        back.err()
    );
    prop_assert_eq!(&back.unwrap(), c, "save/load round trip\n{}", text);
    let b = c.default_bindings();
    let _ = nc_diagram::check::check(c, &b).render();
    if let Err(e) = summarize(c, &b, 4) {
        check_message(&e.to_string())?;
    }
    // runs only what fits in 16 MiB, as `diagram run --max-memory 16M` would
    if check_memory(c, &b, 8, 16 << 20).is_err() {
        return Ok(());
    }
    let Ok(bound) = Bound::new(c, &b) else {
        return Ok(());
    };
    let p = init_params::<f64>(c, &bound, 0);
    let x = random_inputs::<f64>(c, &bound, 1);
    match forward(c, &bound, &p, &x) {
        Ok(tape) => {
            let ws: Vec<Tensor<f64>> = (0..c.outputs.len())
                .filter_map(|i| tape.output(c, i))
                .map(|y| {
                    let n = y.data.len();
                    Tensor::from_vec(y.axes, y.dims, vec![0.25; n])
                })
                .collect();
            if let Err(e) = backward(c, &bound, &p, &tape, &ws) {
                check_message(&e.to_string())?;
            }
        }
        Err(e) => check_message(&e.to_string())?,
    }
    Ok(())
}

/// Loads `text` under the bounds and checks whatever comes out.
fn load_checked(text: &str) -> Result<(), TestCaseError> {
    let t0 = Instant::now();
    let (r, peak) = peak_of(|| load(text));
    prop_assert!(t0.elapsed() < MAX_TIME, "loading took {:?}", t0.elapsed());
    prop_assert!(peak < MAX_BYTES, "loading peaked at {peak} bytes");
    match r {
        Ok(c) => exercise(&c),
        Err(e) => check_message(&e.in_file("f.ncd")),
    }
}

// ------------------------------------------------------------------ generators

// `@Y` is the value a statement defines, `@X` and `@Z` earlier ones (see `program`)
const VALUES: &[&str] = &[
    "@X", "@X", "@X", "@X", "@X", "@X", "@X", "@Z", "@Z", "@Z", "x", "B.v1", "v1.0",
];
const AXES: &[&str] = &[
    "b", "i", "i", "t", "t", "H", "H", "o", "k", "kH", "m", "n#2", "\"q r\"",
];
const SIZES: &[&str] = &[
    "1",
    "2",
    "3",
    "0",
    "n",
    "n/2",
    "n//3",
    "(n+1)*2",
    "1099511627776",
    "m-5",
];

fn pick(xs: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(xs).prop_map(str::to_string)
}

fn axis() -> impl Strategy<Value = String> {
    (pick(AXES), prop::option::of(pick(SIZES))).prop_map(|(a, s)| match s {
        Some(s) => format!("{a}={s}"),
        None => a,
    })
}

fn axes() -> impl Strategy<Value = String> {
    prop::collection::vec(axis(), 0..4).prop_map(|v| v.join(" "))
}

/// One statement of the language, often well-formed, sometimes not.
fn statement() -> impl Strategy<Value = String> {
    let v = || pick(VALUES);
    let y = || pick(&["@Y", "@Y", "@Y", "/@Y"]);
    let a = || pick(AXES);
    let int = || pick(&["0", "1", "2", "3", "9", "10000", "99999999999"]);
    prop_oneof![
        pick(&[
            "circuit c",
            "}",
            "block B {",
            "block B shared {",
            "size n = 4",
            "size m"
        ]),
        (int()).prop_map(|n| format!("block R repeat {n} {{")),
        (pick(&["x", "w"]), axes(), any::<bool>())
            .prop_map(|(v, a, ix)| format!("input {v} [{a}]{}", if ix { " index" } else { "" })),
        (y(), v(), axes(), axes(), any::<bool>()).prop_map(|(y, x, i, o, bias)| format!(
            "{y} = linear{} {x} {i} -> {o}",
            if bias { "+" } else { "" }
        )),
        (
            y(),
            pick(&[
                "b i, i o -> b o",
                "y k, x k -> y x",
                "i i -> i",
                "a, -> a",
                "->"
            ]),
            v(),
            v()
        )
            .prop_map(|(y, s, p, q)| format!("{y} = einsum \"{s}\" {p} {q}")),
        (
            y(),
            pick(&["relu", "tanh", "sigmoid", "gelu", "exp", "square"]),
            v()
        )
            .prop_map(|(y, f, x)| format!("{y} = {f} {x}")),
        (y(), v(), pick(&["0.5", "-1e308", "k^-0.5", "n^2"]))
            .prop_map(|(y, x, s)| format!("{y} = scale {x} {s}")),
        (y(), pick(&["add", "mul"]), v(), v())
            .prop_map(|(y, o, p, q)| format!("{y} = {o} {p} {q}")),
        (y(), pick(&["softmax", "sum", "mean", "max"]), v(), a())
            .prop_map(|(y, o, x, a)| format!("{y} = {o} {x} over {a}")),
        (y(), v(), a()).prop_map(|(y, x, a)| format!("{y} = layernorm {x} over {a}")),
        (y(), v(), a()).prop_map(|(y, x, a)| format!("{y} = batchnorm {x} per {a}")),
        (y(), v(), int()).prop_map(|(y, x, n)| format!("{y} = copy {x} {n}")),
        (
            y(),
            pick(&["window", "window_t"]),
            v(),
            a(),
            a(),
            int(),
            int()
        )
            .prop_map(|(y, w, x, s, k, st, pad)| format!(
                "{y} = {w} {x} ({s} by {k}=3 stride {st} pad {pad})"
            )),
        (y(), v(), v(), a(), a(), a())
            .prop_map(|(y, p, q, i, j, o)| format!("{y} = concat {p} {q} along {i} {j} -> {o}")),
        (y(), v(), axes(), axes()).prop_map(|(y, x, f, t)| format!("{y} = reshape {x} {f} -> {t}")),
        (y(), v(), axes()).prop_map(|(y, x, a)| format!("{y} = permute {x} {a}")),
        (y(), v(), a(), axes()).prop_map(|(y, x, vo, f)| format!("{y} = embed {x} {vo} -> {f}")),
        (y(), axes()).prop_map(|(y, a)| format!("{y} = constant 1.5 [{a}]")),
        (y(), axes()).prop_map(|(y, a)| format!("{y} = learned [{a}]")),
        (y(), v()).prop_map(|(y, x)| format!("{y} = save C {x}")),
        y().prop_map(|y| format!("{y} = load C")),
        (y(), v()).prop_map(|(y, x)| format!("{y} = relu {x} ; tanh ; softmax over o")),
        v().prop_map(|v| format!("output {v}")),
        (pick(SIZES), pick(SIZES)).prop_map(|(p, q)| format!("constraint {p} | {q}")),
        (
            a(),
            pick(&["batch", "token", "spatial", "kernel", "head", "nope"]),
            pick(SIZES)
        )
            .prop_map(|(a, k, s)| format!("axis {a}:{k} = {s}")),
        // raw characters: control bytes, unicode, stray punctuation
        prop::collection::vec(any::<char>(), 0..12).prop_map(|cs| cs.into_iter().collect()),
    ]
}

/// A program: a header, statements each defining `v<k>` from earlier values, and an
/// output; often well-typed, so that the builder, checker and executor are reached.
fn program() -> impl Strategy<Value = String> {
    let line = (
        statement(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    );
    (any::<u8>(), prop::collection::vec(line, 0..10)).prop_map(|(header, lines)| {
        let mut s = match header % 8 {
            0 => String::new(),
            1 => "circuit f\ninput v0 [b=2 i=3]\n".to_string(),
            _ => "circuit f\nsize n = 4\ninput v0 [b=2 i=3 t=4 H=6]\n".to_string(),
        };
        for (k, (text, x, z)) in lines.iter().enumerate() {
            let k = k + 1;
            let text = text
                .replace("@Y", &format!("v{k}"))
                .replace("@X", &format!("v{}", x.index(k)))
                .replace("@Z", &format!("v{}", z.index(k)));
            s.push_str(&text);
            s.push('\n');
        }
        if header % 8 != 3 {
            s.push_str(&format!("output v{}\n", lines.len()));
        }
        s
    })
}

/// A zoo model's saved text with a few edits: lines dropped, duplicated or swapped,
/// words replaced, the text cut short.
fn mutated_zoo_text() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = zoo::MODELS.iter().map(|(n, _)| *n).collect();
    let edit = prop_oneof![
        (any::<prop::sample::Index>()).prop_map(|i| (0u8, i, i, String::new())),
        (any::<prop::sample::Index>()).prop_map(|i| (1u8, i, i, String::new())),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(i, j)| (
            2u8,
            i,
            j,
            String::new()
        )),
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            prop_oneof![
                pick(SIZES),
                pick(AXES),
                pick(&["x", "h", "L1", "{", "}", "->", "\"", "repeat", "over", "#"])
            ]
        )
            .prop_map(|(i, j, w)| (3u8, i, j, w)),
        (any::<prop::sample::Index>()).prop_map(|i| (4u8, i, i, String::new())),
        // a size changed: the model must still check and run, or say why not
        (
            any::<prop::sample::Index>(),
            pick(&["1", "2", "3", "5", "7"])
        )
            .prop_map(|(i, w)| (5u8, i, i, w)),
    ];
    (
        prop::sample::select(names),
        prop::collection::vec(edit, 1..4),
    )
        .prop_map(|(name, edits)| {
            let text = save(&zoo::get(name).expect("zoo model"));
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            for (kind, i, j, w) in edits {
                if lines.is_empty() {
                    break;
                }
                let (li, lj) = (i.index(lines.len()), j.index(lines.len()));
                match kind {
                    0 => {
                        lines.remove(li);
                    }
                    1 => {
                        let l = lines[li].clone();
                        lines.insert(li, l);
                    }
                    2 => lines.swap(li, lj),
                    3 => {
                        let mut words: Vec<String> =
                            lines[li].split(' ').map(str::to_string).collect();
                        let k = j.index(words.len());
                        words[k] = w;
                        lines[li] = words.join(" ");
                    }
                    4 => lines.truncate(li + 1),
                    _ => {
                        // the i-th `size NAME = V` line gets a new value
                        let sizes: Vec<usize> = (0..lines.len())
                            .filter(|k| lines[*k].starts_with("size ") && lines[*k].contains(" = "))
                            .collect();
                        if !sizes.is_empty() {
                            let k = sizes[i.index(sizes.len())];
                            let head = lines[k].split(" = ").next().unwrap_or("").to_string();
                            lines[k] = format!("{head} = {w}");
                        }
                    }
                }
            }
            lines.join("\n")
        })
}

/// A zoo model's JSON with a few values replaced: numbers (ids, sizes, counts), strings
/// (names, signatures), array elements dropped or duplicated.
fn mutated_zoo_json() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = zoo::MODELS.iter().map(|(n, _)| *n).collect();
    let number = prop_oneof![
        Just(serde_json::json!(0)),
        Just(serde_json::json!(1)),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(3)),
        Just(serde_json::json!(4294967295u64)),
        Just(serde_json::json!(1_000_000_000_000_000_000u64)),
        Just(serde_json::json!(1e300)),
    ];
    let string = pick(&["", "x", "y k, x k -> y x", "L1", "\u{1b}", "b i"])
        .prop_map(serde_json::Value::String);
    let edit = (0u8..4, any::<u64>(), number, string);
    (
        prop::sample::select(names),
        prop::collection::vec(edit, 1..4),
    )
        .prop_map(|(name, edits)| {
            let c = zoo::get(name).expect("zoo model");
            let mut v = serde_json::to_value(&c).expect("circuit to JSON");
            for (kind, seed, n, s) in edits {
                mutate(&mut v, seed, kind, &n, &s);
            }
            v.to_string()
        })
}

/// Walks to a leaf or array chosen by `seed` and edits it: `kind` 0 drops an array
/// element, 1 duplicates one, 2 replaces a leaf by `n` or `s`, 3 a string by a number.
fn mutate(
    v: &mut serde_json::Value,
    seed: u64,
    kind: u8,
    n: &serde_json::Value,
    s: &serde_json::Value,
) {
    use serde_json::Value as J;
    // a fresh pseudo-random choice at each level
    let here = seed % 7;
    let deeper = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) | 1;
    match v {
        J::Array(a) if !a.is_empty() => {
            let i = (seed % a.len() as u64) as usize;
            if here == 0 && kind < 2 {
                if kind == 0 {
                    a.remove(i);
                } else {
                    let x = a[i].clone();
                    a.insert(i, x);
                }
            } else {
                mutate(&mut a[i], deeper, kind, n, s);
            }
        }
        J::Object(o) if !o.is_empty() => {
            let k = o.keys().nth((seed % o.len() as u64) as usize).cloned();
            if let Some(x) = k.and_then(|k| o.get_mut(&k)) {
                mutate(x, deeper, kind, n, s);
            }
        }
        J::Number(_) | J::Null => *v = n.clone(),
        J::String(_) => *v = if kind == 3 { n.clone() } else { s.clone() },
        _ => {}
    }
}

fn bind_spec() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        (
            pick(&["m", "k", "h", "x", "y", "K", "heads", "", " m "]),
            pick(&[
                "1",
                "16",
                "0",
                "-4",
                "1e18",
                "9e18",
                "1e19",
                "2.5",
                "",
                "99999999999999999999",
                "1e",
                "e5"
            ])
        )
            .prop_map(|(k, v)| format!("{k}={v}")),
        prop::collection::vec(any::<char>(), 0..8).prop_map(|cs| cs.into_iter().collect()),
    ];
    prop::collection::vec(item, 0..6).prop_map(|v| v.join(","))
}

// ------------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config())]

    #[test]
    fn ncd_statements(text in program()) {
        load_checked(&text)?;
    }

    #[test]
    fn ncd_arbitrary_text(text in ".{0,400}") {
        load_checked(&text)?;
    }

    #[test]
    fn ncd_mutated_zoo(text in mutated_zoo_text()) {
        load_checked(&text)?;
    }

    #[test]
    fn circuit_json_mutated_zoo(text in mutated_zoo_json()) {
        load_checked(&text)?;
    }

    #[test]
    fn circuit_json_cut_short(name in prop::sample::select(zoo::MODELS.iter().map(|(n, _)| *n).collect::<Vec<_>>()), cut in any::<prop::sample::Index>()) {
        let text = save_json(&zoo::get(name).expect("zoo model"));
        let mut at = cut.index(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        load_checked(&text[..at])?;
    }

    #[test]
    fn bind_lists(spec in bind_spec()) {
        let c = zoo::mha();
        match nc_diagram::bind::parse(&c, &spec) {
            Ok(b) => {
                for (k, v) in &b {
                    prop_assert!(c.sizes.contains_key(k), "bound unknown size {k}");
                    prop_assert!(*v >= 1, "{k} = {v}");
                }
            }
            Err(e) => check_message(&e.to_string())?,
        }
    }
}
