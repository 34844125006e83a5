//! Fuzzing the input of `swimmer simulate`: any text gives validated cases or an error with
//! a message naming where it is wrong, never a panic; every accepted case simulates to
//! finite states or a divergence error.
//!
//! CI runs proptest's default case count (256). Before a release, run longer:
//! `PROPTEST_CASES=100000 cargo test --release -p nc-swimmer fuzz`.

use nc_swimmer::script::{ScriptError, parse_cases, simulate};
use proptest::prelude::*;

/// A plausible number.
fn plausible() -> impl Strategy<Value = String> {
    (-3.0f64..3.0).prop_map(|v| format!("{v}"))
}

/// A JSON number, mostly plausible, sometimes extreme.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => plausible(),
        2 => (0u32..30).prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec![
            "0", "-0", "1e308", "-1e308", "1e-320", "1e999", "12345678901234567890", "0.5e3",
        ])
        .prop_map(str::to_string),
    ]
}

/// Any JSON value a user might put in a field by mistake.
fn junk() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "null", "true", "\"6\"", "[]", "{}", "[[]]", "[null]", "\"NaN\"", "-1", "2.5",
    ])
    .prop_map(str::to_string)
}

fn array(
    len: impl Strategy<Value = usize>,
    item: impl Strategy<Value = String> + Clone,
) -> impl Strategy<Value = String> {
    len.prop_flat_map(move |n| prop::collection::vec(item.clone(), n))
        .prop_map(|v| format!("[{}]", v.join(",")))
}

/// A field's value for `n` bodies: well formed, or (`faulty`) now and then of the wrong
/// shape, length or type.
fn field(name: &'static str, n: usize, faulty: bool) -> BoxedStrategy<String> {
    let odds = u32::from(faulty);
    let len = move |want: usize| prop_oneof![12 => Just(want), odds => 0usize..(want + 3)];
    let num = prop_oneof![12 => plausible(), odds => number()];
    let good = match name {
        "n_bodies" => prop_oneof![12 => Just(n.to_string()), odds => number()].boxed(),
        "qpos" | "qvel" => array(len(n + 2), num).boxed(),
        "ctrl" => prop::collection::vec(array(len(n - 1), num), usize::from(!faulty)..5)
            .prop_map(|rows| format!("[{}]", rows.join(",")))
            .boxed(),
        "substeps" => prop_oneof![
            12 => (1u64..20).prop_map(|k| k.to_string()),
            odds => number()
        ]
        .boxed(),
        _ => prop_oneof![
            12 => (1e-4f64..0.05).prop_map(|v| format!("{v}")),
            odds => number()
        ]
        .boxed(),
    };
    prop_oneof![30 => good, odds => junk()].boxed()
}

/// The input's fields, and one misspelt.
const FIELDS: [&str; 9] = {
    let f = nc_swimmer::script::FIELDS;
    [f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], "visocsity"]
};

/// In twentieths, how often each field of [`FIELDS`] is present in a faulty case: the
/// required ones nearly always, the options sometimes, the misspelt one rarely. A well-formed
/// case has every required field and no misspelt one.
const PRESENT: [u8; 9] = [19, 19, 19, 19, 6, 6, 6, 6, 1];

/// One case: a random subset of the fields.
fn case(faulty: bool) -> impl Strategy<Value = String> {
    let n = if faulty {
        prop_oneof![9 => 3usize..8, 1 => prop::sample::select(vec![2usize, 20, 21])].boxed()
    } else {
        (3usize..8).boxed()
    };
    (n, prop::collection::vec(0u8..20, FIELDS.len())).prop_flat_map(move |(n, dice)| {
        let fields: Vec<BoxedStrategy<String>> = FIELDS
            .iter()
            .zip(PRESENT)
            .zip(dice)
            .enumerate()
            .filter(|&(i, ((_, p), d))| {
                let required = i < 4;
                let typo = i == FIELDS.len() - 1;
                if faulty {
                    d < p
                } else {
                    required || (!typo && d < p)
                }
            })
            .map(|(_, ((&name, _), _))| {
                field(name, n, faulty)
                    .prop_map(move |v| format!("\"{name}\": {v}"))
                    .boxed()
            })
            .collect();
        fields.prop_map(|parts| format!("{{{}}}", parts.join(", ")))
    })
}

/// The whole input: well formed, or faulty and sometimes also cut short or with a stray
/// character, as an editor or a pipe might leave it.
fn input() -> impl Strategy<Value = String> {
    any::<bool>().prop_flat_map(|faulty| {
        let doc = prop::collection::vec(case(faulty), usize::from(!faulty)..4)
            .prop_map(|cases| format!("{{\"cases\": [{}]}}", cases.join(", ")));
        let how = if faulty { 0usize..4 } else { 3usize..4 };
        (doc, how, any::<prop::sample::Index>(), any::<char>()).prop_map(|(doc, how, at, c)| {
            let cut = at.index(doc.len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|&i| doc.is_char_boundary(i))
                .unwrap_or(0);
            match how {
                0 => doc[..cut].to_string(),
                1 => format!("{}{c}{}", &doc[..cut], &doc[cut..]),
                _ => doc,
            }
        })
    })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match parse_cases(text) {
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(!msg.trim().is_empty());
            if let ScriptError::Field { index, field, .. } = &e {
                prop_assert!(
                    msg.starts_with(&format!("case {index}, field `{field}`: ")),
                    "{}",
                    msg
                );
            }
        }
        Ok(cases) => {
            for c in &cases {
                prop_assert_eq!(c.qpos.len(), c.n_bodies + 2);
                prop_assert_eq!(c.qvel.len(), c.n_bodies + 2);
                prop_assert!(c.ctrl.iter().all(|r| r.len() == c.n_bodies - 1));
                prop_assert!(
                    c.qpos
                        .iter()
                        .chain(&c.qvel)
                        .chain(c.ctrl.iter().flatten())
                        .all(|v| v.is_finite())
                );
            }
            // simulate only what runs in milliseconds: time grows with rows × substeps
            let small: Vec<_> = cases
                .into_iter()
                .filter(|c| c.ctrl.len() * c.substeps <= 600)
                .collect();
            for (i, r) in simulate(&small).iter().enumerate() {
                match r {
                    Ok(res) => prop_assert!(
                        res.qpos_after
                            .iter()
                            .chain(&res.qvel_after)
                            .flatten()
                            .all(|v| v.is_finite())
                    ),
                    Err(e) => {
                        prop_assert!(e.to_string().starts_with(&format!("case {i}: ")), "{}", e)
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn simulate_input_is_cases_or_a_message(text in input()) {
        check(&text)?;
    }

    #[test]
    fn arbitrary_text_is_refused_with_a_message(text in "\\PC{0,64}") {
        check(&text)?;
    }
}

#[test]
fn deep_nesting_and_huge_arrays_are_refused_quickly() {
    let deep = "[".repeat(100_000);
    assert!(matches!(
        parse_cases(&format!("{{\"cases\": {deep}")),
        Err(ScriptError::Json(_))
    ));
    let huge = format!(
        "{{\"cases\": [{{\"n_bodies\": 3, \"qpos\": [{}0], \"qvel\": [0,0,0,0,0], \"ctrl\": [[0,0]]}}]}}",
        "0,".repeat(1_000_000)
    );
    let e = parse_cases(&huge).unwrap_err().to_string();
    assert!(
        e.contains("field `qpos`") && e.contains("got 1000001"),
        "{e}"
    );
}
