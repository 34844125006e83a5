//! Memory, measured: a counting allocator records each thread's peak of live bytes, so the
//! cost model's estimate of the executor's memory is checked against what the executor
//! really allocates, and the loader's memory is checked to grow linearly with its input.
//!
//! A separate test binary, because the allocator is global.

use nc_diagram::backprop::backward;
use nc_diagram::cost::check_memory;
use nc_diagram::exec::{Bound, forward, init_params, random_inputs};
use nc_diagram::parse::text::load;
use nc_diagram::tensor::Tensor;
use nc_diagram::zoo;
mod counting_alloc;
use counting_alloc::peak_of;

/// The estimate errs high, but not wildly: for each zoo model at bindings large enough
/// that the arrays dominate, the measured peak of a forward and backward pass (inputs
/// included) lies between 40% and 100% of `executor_bytes`.
#[test]
fn executor_estimate_bounds_the_measured_peak() {
    let cases: [(&str, &[(&str, i64)]); 5] = [
        ("mlp", &[("b", 512)]),
        ("mha", &[("y", 200), ("x", 220)]),
        ("transformer_block", &[("b", 16)]),
        ("resnet", &[]),
        ("vit", &[("b", 16)]),
    ];
    let (mut ok, mut report) = (true, Vec::new());
    for (name, over) in cases {
        let c = zoo::get(name).unwrap();
        let mut b = c.default_bindings();
        for (k, v) in over {
            b.insert(k.to_string(), *v);
        }
        let est = check_memory(&c, &b, 4, u128::MAX).unwrap().executor_bytes as usize;
        let (_, peak) = peak_of(|| {
            let bound = Bound::new(&c, &b).unwrap();
            let p = init_params::<f32>(&c, &bound, 0);
            let x = random_inputs::<f32>(&c, &bound, 1);
            let tape = forward(&c, &bound, &p, &x).unwrap();
            let ws: Vec<Tensor<f32>> = (0..c.outputs.len())
                .map(|i| {
                    let y = tape.output(&c, i).unwrap();
                    let n = y.data.len();
                    Tensor::from_vec(y.axes, y.dims, vec![0.5; n])
                })
                .collect();
            backward(&c, &bound, &p, &tape, &ws).unwrap()
        });
        report.push(format!("{name}: measured peak {peak} B, estimate {est} B"));
        ok &= peak <= est && 10 * peak >= 4 * est;
    }
    assert!(ok, "{}", report.join("\n"));
}

fn flat(n: usize) -> String {
    let mut s = String::from("circuit flat\ninput x0 [b=2]\n");
    for i in 1..=n {
        s.push_str(&format!("x{i} = relu x{}\n", i - 1));
    }
    s.push_str(&format!("output x{n}\n"));
    s
}

fn nested(depth: usize, per_level: usize) -> String {
    let mut s = String::from("circuit deep\ninput x [b=2]\n");
    for i in 0..depth {
        s.push_str(&format!("block B{i} {{\n"));
        for j in 0..per_level {
            s.push_str(&format!("y{i}_{j} = relu x\n"));
        }
    }
    s.push_str(&"}\n".repeat(depth));
    s.push_str("y = relu x\noutput y\n");
    s
}

/// Loading grows linearly: twice the operations take at most about twice the memory, and
/// a file at the nesting cap costs no more per operation than a flat one of the same size.
#[test]
fn loader_memory_is_linear() {
    let (_, one) = peak_of(|| load(&flat(5_000)).unwrap());
    let (_, two) = peak_of(|| load(&flat(10_000)).unwrap());
    assert!(
        two <= one * 22 / 10,
        "5000 ops: {one} B, 10000 ops: {two} B"
    );
    let (_, flat_peak) = peak_of(|| load(&flat(64 * 40)).unwrap());
    let (_, deep) = peak_of(|| load(&nested(64, 40)).unwrap());
    // every node of the deep file is listed in each enclosing block: at most 64 ids of 4 B
    assert!(
        deep <= 2 * flat_peak + 64 * 4 * 64 * 40,
        "flat {flat_peak} B, 64 deep {deep} B"
    );
}
