//! Regression tests, one per reported repro, named after their issue.

use crate::common::bind;
use nc_diagram::cost::{check_memory, summarize};
use nc_diagram::exec::{Bound, ExecError};
use nc_diagram::parse::text::load;
use nc_diagram::zoo;

const GIB: u128 = 1 << 30;

/// `diagram run zoo:mha --bind m=1000000000000000000` panicked with "capacity overflow".
#[test]
fn issue17_huge_size_is_an_error_not_a_capacity_overflow() {
    let c = zoo::mha();
    let b = nc_diagram::bind::parse(&c, "m=1e18").unwrap();
    let err = check_memory(&c, &b, 4, 8 * GIB).unwrap_err();
    assert!(
        matches!(err, ExecError::OverMemory { estimate, .. } if estimate > 1_000_000_000_000_000_000),
        "{err}"
    );
    // a library caller that skips the memory check still gets an error, not a panic
    let err = Bound::new(&c, &b).unwrap_err();
    assert!(matches!(err, ExecError::TooLarge { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("more than this machine can address")
    );
}

/// `diagram run zoo:mlp --bind b=1000000` aborted on a 3.1 GB allocation and `b=100000`
/// quietly used 2.3 GB: the estimate is compared with a limit before anything is allocated.
#[test]
fn issue17_runs_over_the_memory_limit_are_refused_with_the_estimate() {
    let c = zoo::mlp();
    for b in [100_000, 1_000_000] {
        let err = check_memory(&c, &bind(&[("b", b)]), 4, GIB).unwrap_err();
        let ExecError::OverMemory { estimate, limit } = err else {
            panic!("expected OverMemory, got {err}");
        };
        assert_eq!(limit, GIB);
        // the tape alone holds b·(2·784 + 4·512 + 2·10) f32s
        assert!(estimate > b as u128 * (2 * 784 + 4 * 512 + 2 * 10) * 4);
        let msg = err.to_string();
        assert!(msg.contains("needs about") && msg.contains("over the memory limit of 1.0 GiB"));
    }
    assert!(check_memory(&c, &bind(&[("b", 100)]), 4, GIB).is_ok());
}

/// The executor's estimate, by hand, for `y = x·W` (x: b×i, W: i×o): the caller's input
/// (bi), the tape (bi + bo), W and its gradient (2io), and the backward step's output
/// gradient (bo) with the new input gradient (bi) and temporaries (2bi + 2bo).
#[test]
fn executor_memory_estimate_by_hand() {
    let c = load(
        "circuit one
         input x [b=3 i=5]
         y = linear x i -> o=7
         output y",
    )
    .unwrap();
    let m = check_memory(&c, &c.default_bindings(), 4, u128::MAX).unwrap();
    let (b, i, o) = (3u128, 5, 7);
    assert_eq!(
        m.executor_bytes,
        4 * (b * i + (b * i + b * o) + 2 * i * o + (b * o + b * i + 2 * (b * i + b * o)))
    );
}

/// `diagram cost zoo:mha --bind m=1e18,...` wrapped around (flops_backward = 0).
#[test]
fn issue17_cost_overflow_is_an_error_naming_the_size() {
    let c = zoo::mha();
    let b = nc_diagram::bind::parse(&c, "m=1e18,k=1e18,h=1e18,x=1e18,y=1e18").unwrap();
    let err = summarize(&c, &b, 4).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ExecError::Cost { .. }), "{msg}");
    assert!(msg.contains("overflows"), "{msg}");
    assert!(msg.contains("m = 1000000000000000000"), "{msg}");
    // one size past i64 in a single factor is caught too
    let b = nc_diagram::bind::parse(&c, "m=9e18").unwrap();
    let m = summarize(&c, &b, 4).unwrap();
    assert_eq!(m.params, 4 * 4 * 16 * 9_000_000_000_000_000_000);
    assert!(summarize(&c, &b, u64::MAX).is_err());
}

/// `--bind K=16,H=4` (wrong case) was ignored and the defaults used.
#[test]
fn issue17_unknown_size_names_are_errors_with_a_hint() {
    let c = zoo::mha();
    let err = nc_diagram::bind::parse(&c, "K=16,H=4").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown size `K` (did you mean `k`?); circuit `mha` has sizes h, k, m, x, y"
    );
    let err = nc_diagram::bind::parse(&c, "heads=4").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown size `heads`; circuit `mha` has sizes h, k, m, x, y"
    );
    for bad in ["k", "k=", "=3", "k=3,k=4", "k=-1", "k=0", "k=2.5", "k=1e30"] {
        let e = nc_diagram::bind::parse(&c, bad).unwrap_err().to_string();
        assert!(!e.is_empty(), "{bad}");
    }
}

/// NUL and ESC bytes were echoed raw in `.ncd` errors.
#[test]
fn issue17_control_characters_are_escaped_in_errors() {
    for src in [
        "circuit c\ninput x [b]\ny = relu x\u{0}\noutput y\n",
        "circuit c\ninput x [b]\ny = relu \u{1b}[31mx\noutput y\n",
        "circuit c\ninput \"x\u{1b}\" [b]\n",
    ] {
        let e = load(src).unwrap_err().in_file("bad\u{1b}.ncd");
        assert!(!e.chars().any(char::is_control), "{e:?}");
        assert!(e.contains("control character U+00"), "{e}");
        assert!(e.starts_with("bad\\e.ncd:"), "{e}");
    }
    // a JSON circuit cannot smuggle one in through a name
    let mut c = zoo::mlp();
    c.nodes[0].name = "L\u{0}1".into();
    let e = nc_diagram::parse::text::load_json(&nc_diagram::parse::text::save_json(&c))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("L\\01") && !e.chars().any(char::is_control),
        "{e}"
    );
}

fn nested(depth: usize) -> String {
    let mut s = String::from("circuit deep\ninput x [b=2]\n");
    for i in 0..depth {
        s.push_str(&format!("block B{i} {{\n"));
    }
    s.push_str("/y = relu x\n");
    s.push_str(&"}\n".repeat(depth));
    s.push_str("output y\n");
    s
}

/// Deeply nested `block` lines grew memory quadratically (100k levels passed 13.7 GB).
#[test]
fn issue17_block_nesting_is_capped_with_a_clear_error() {
    let c = load(&nested(64)).unwrap();
    assert_eq!(c.blocks.len(), 64);
    let e = load(&nested(65)).unwrap_err().to_string();
    assert_eq!(
        e,
        "67:7: block `B64` would nest 65 deep; blocks nest at most 64 deep"
    );
    // the 1.6 MB file of the report: refused at level 65, before it costs anything
    let e = load(&nested(100_000)).unwrap_err().to_string();
    assert!(e.contains("blocks nest at most 64 deep"), "{e}");
    // repeated blocks are capped the same way
    let mut s = String::from("circuit deep\ninput x [b=2]\n");
    for i in 0..70 {
        s.push_str(&format!("block R{i} repeat 1 {{\n"));
    }
    s.push_str("y = relu x\n");
    s.push_str(&"}\n".repeat(70));
    let e = load(&s).unwrap_err().to_string();
    assert!(e.contains("blocks nest at most 64 deep"), "{e}");
}

/// Repeated blocks multiply a short file: what one file may build is bounded.
#[test]
fn repeated_blocks_cannot_build_without_bound() {
    let src = "circuit big
        input x [b=2]
        block A repeat 10000 {
          block B repeat 10000 {
            x = relu x
          }
        }
        output A.x";
    let e = load(src).unwrap_err().to_string();
    assert!(e.contains("grows past 100000"), "{e}");
    // empty bodies build block instances, which count too
    let src = "circuit big
        input x [b=2]
        block A repeat 10000 {
          block B repeat 10000 {
          }
        }
        y = relu x
        output y";
    let e = load(src).unwrap_err().to_string();
    assert!(e.contains("grows past 100000"), "{e}");
}

/// A JSON circuit states types as data: one that its operations would not build is refused
/// rather than run (it would index past a node's inputs or allocate `Copy(2^60)` outputs).
#[test]
fn ill_typed_json_circuits_are_refused() {
    use nc_diagram::ir::Op;
    use nc_diagram::parse::text::{load_json, save_json};
    let c = zoo::mlp();
    let relu = c
        .nodes
        .iter()
        .position(|n| matches!(n.op, Op::Map(_)))
        .unwrap();
    // an add with one input
    let mut bad = c.clone();
    bad.nodes[relu].op = Op::Add;
    let e = load_json(&save_json(&bad)).unwrap_err().to_string();
    assert!(e.contains("does not type-check"), "{e}");
    // a value whose axes disagree with what its op makes
    let mut bad = c.clone();
    let v = bad.nodes[relu].outputs[0];
    bad.values[v.ix()].ty.axes.pop();
    let e = load_json(&save_json(&bad)).unwrap_err().to_string();
    assert!(e.contains("not what its operations build"), "{e}");
    assert_eq!(load_json(&save_json(&c)).unwrap(), c);
}

/// Found by fuzzing: `norm … using G S` and `embed … using T` took parameters of any shape,
/// and a constant could list an axis twice; both reached the executor and panicked there.
#[test]
fn fuzz_found_shape_holes_are_type_errors() {
    let e = load(
        "circuit c
         input x [b=2 m=4]
         param g [b] init ones shared
         param s [m] init zeros shared
         y = norm x over m affine m using g s
         output y",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "5:14: parameter `g` has axes [b] but this operation needs [m]"
    );
    let e = load("circuit c\ny = constant 1.5 [H=6 H]\noutput y\n")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "2:23: axis `H` is listed twice");
}

/// Sizes derived from sizes (a chain of concatenations adds a term per link) grew without
/// bound: 50000 links copied 1.25e9 nodes (memory past 12 GB). A derived size is capped.
#[test]
fn derived_sizes_are_bounded() {
    let mut s = String::from("circuit chain\ninput x [n]\ny0 = relu x\n");
    for i in 1..=2000 {
        let along = if i == 1 {
            "n".to_string()
        } else {
            format!("c{}", i - 1)
        };
        s.push_str(&format!(
            "y{i} = concat y{} x along {along} n -> c{i}\n",
            i - 1
        ));
    }
    s.push_str("output y2000\n");
    let e = load(&s).unwrap_err().to_string();
    assert!(
        e.contains("axis `c256`: a size formula of 513 terms is too complex (at most 512)"),
        "{e}"
    );
}

/// The element count of a value over 30 axes of size `p + q` expands to 2^30 monomials;
/// past 1024 terms the sums are kept whole, and the numbers are still exact.
#[test]
fn products_of_sums_stay_small_and_exact() {
    let axes: Vec<String> = (0..30).map(|i| format!("a{i}=(p+q)")).collect();
    let c = load(&format!(
        "circuit prod\ninput x [{}]\ny = relu x\noutput y\n",
        axes.join(" ")
    ))
    .unwrap();
    let r = nc_diagram::cost::cost(&c);
    // relu reads x and writes y: 2·(p + q)^30 elements
    assert_eq!(
        r.total.moved.eval(&bind(&[("p", 2), ("q", 1)])).unwrap(),
        2 * 3i128.pow(30)
    );
    assert!(r.total.moved.to_string().len() < 10_000);
}

/// `scale x n^2` with `n` unbound scaled by 1 without a word; it is now refused when sizes
/// are bound, and scales by n² once `n` is given.
#[test]
fn a_scale_by_an_unbound_size_is_an_error() {
    use nc_diagram::exec::{forward, init_params, random_inputs};
    let c = load("circuit c\ninput x [b=2]\ny = scale x n^2\noutput y\n").unwrap();
    let e = Bound::new(&c, &c.default_bindings())
        .unwrap_err()
        .to_string();
    assert_eq!(e, "op `y` scales by a size: size symbol `n` is not bound");
    let bound = Bound::new(&c, &bind(&[("b", 2), ("n", 3)])).unwrap();
    let x = random_inputs::<f64>(&c, &bound, 0);
    let y = forward(&c, &bound, &init_params(&c, &bound, 0), &x).unwrap();
    let y = y.output(&c, 0).unwrap();
    assert_eq!(
        y.data,
        x[0].data.iter().map(|v| 9.0 * v).collect::<Vec<_>>()
    );
}
