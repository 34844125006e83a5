//! The file format: every zoo model round-trips through the text format and through JSON,
//! the hand-written example files compute what the zoo models compute, and broken files
//! are refused with the line, the column and a reason.

use nc_diagram::check::check;
use nc_diagram::cost::summarize;
use nc_diagram::exec::{Bound, forward, init_params, random_inputs};
use nc_diagram::ir::Circuit;
use nc_diagram::parse::text::{TextError, load, load_json, save, save_json};
use nc_diagram::zoo;

#[test]
fn zoo_round_trips() {
    for name in zoo::names() {
        let c = zoo::get(name).unwrap();
        let text = save(&c);
        let back = load(&text).unwrap_or_else(|e| panic!("{name}: {}", e.in_file(name)));
        // ids are kept, so the circuits are equal as they are: same axes, values,
        // parameters (names and initialisation), nodes, blocks, sizes and constraints
        assert_eq!(back, c, "{name}");
        assert_eq!(save(&back), text, "{name}: saving is deterministic");
        let b = c.default_bindings();
        assert_eq!(check(&back, &b).render(), check(&c, &b).render(), "{name}");
        let (x, y) = (
            summarize(&c, &b, 4).unwrap(),
            summarize(&back, &b, 4).unwrap(),
        );
        assert_eq!(
            serde_json::to_value(&x).unwrap(),
            serde_json::to_value(&y).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn json_is_kept_and_detected() {
    for name in ["mlp", "transformer", "ncap_swimmer"] {
        let c = zoo::get(name).unwrap();
        let json = save_json(&c);
        assert!(json.starts_with('{'));
        assert_eq!(load(&json).unwrap(), c, "{name}: load detects JSON");
        assert_eq!(load_json(&json).unwrap(), c, "{name}");
    }
}

#[test]
fn saved_text_reads_like_the_diagram() {
    let text = save(&zoo::mha());
    for line in [
        "axis h:head",
        "input X [y m]",
        "copy = copy Z 2",
        "LK = linear copy.0 m -> k h",
        "scores = einsum \"y k h, x k h -> y x h\" LQ LK",
        "scale = scale scores k^-0.5",
        "softmax = softmax scale over x",
        "output LO",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    // blocks nest, names inside them are local, shared display names are tagged
    // a repeated block is written once, indexed by λ, reading `add_pos` first and then the
    // previous instance's `residual2`
    let text = save(&zoo::transformer());
    assert!(
        text.contains(
            "block Block repeat 2 as λ with residual2 = add_pos {\n  ln1 = norm residual2"
        ),
        "{text}"
    );
    // the U-Net's down and up paths, sizes and labels per instance
    let text = save(&zoo::unet_drawn());
    for line in [
        "block Down repeat 4 as λ with max = image {",
        "  conv_a = linear+ conv_a.win c{λ-1} kx{λ}#{7*λ+11} kw{λ}#{7*λ+12} -> c{λ}",
        "  \"save C{λ}\" = save C{λ} relu_b",
        "block Up repeat 3 as λ with up.add_bias = Middle.up.add_bias {",
        "  \"load C{5-λ}\" = load C{5-λ}",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    assert!(!text.contains(" of 4]"), "{text}");
    let text = save(&zoo::resnet());
    assert!(text.contains("axis kH#5:kernel = 3\n"), "{text}");
}

/// Output 0 of `c` at its default sizes, with parameters and inputs drawn from fixed seeds.
fn run(c: &Circuit) -> (Vec<usize>, Vec<f64>) {
    let bound = Bound::new(c, &c.default_bindings()).unwrap();
    let params = init_params::<f64>(c, &bound, 7);
    let inputs = random_inputs::<f64>(c, &bound, 8);
    let y = forward(c, &bound, &params, &inputs)
        .unwrap()
        .output(c, 0)
        .unwrap();
    (y.dims, y.data)
}

fn example(file: &str) -> Circuit {
    let path = format!("{}/examples/circuits/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    load(&text).unwrap_or_else(|e| panic!("{}", e.in_file(file)))
}

#[test]
fn hand_written_examples_match_the_zoo() {
    for (file, model) in [
        ("mlp.ncd", "mlp"),
        ("mha.ncd", "mha"),
        ("conv.ncd", "conv"),
        ("transformer.ncd", "transformer"),
        ("resnet.ncd", "resnet"),
    ] {
        let hand = example(file);
        let zoo = zoo::get(model).unwrap();
        let (bh, bz) = (hand.default_bindings(), zoo.default_bindings());
        assert_eq!(bh, bz, "{file}");
        let (h, z) = (
            summarize(&hand, &bh, 4).unwrap(),
            summarize(&zoo, &bz, 4).unwrap(),
        );
        assert_eq!(h.params, z.params, "{file}: parameter count");
        assert_eq!(h.flops_forward, z.flops_forward, "{file}: FLOPs");
        assert_eq!(h.flops_backward, z.flops_backward, "{file}: backward FLOPs");
        // parameters are drawn per id and shape, so equal shapes in the same order give
        // the same weights: the outputs must agree
        let shapes = |c: &Circuit| -> Vec<Vec<String>> {
            c.params
                .iter()
                .map(|p| p.axes.iter().map(|a| c.axis(*a).size.to_string()).collect())
                .collect()
        };
        assert_eq!(shapes(&hand).len(), shapes(&zoo).len(), "{file}");
        let (dh, yh) = run(&hand);
        let (dz, yz) = run(&zoo);
        assert_eq!(dh, dz, "{file}: output shape");
        let worst = yh
            .iter()
            .zip(&yz)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-12, "{file}: outputs differ by {worst}");
        // and a hand-written file survives save and load too
        assert_eq!(load(&save(&hand)).unwrap(), hand, "{file}");
    }
}

fn err(text: &str) -> String {
    match load(text) {
        Ok(_) => panic!("loaded:\n{text}"),
        Err(e) => e.in_file("t.ncd"),
    }
}

const HEAD: &str = "circuit t\ninput x [b n=4]\n";

#[test]
fn the_issue_example_loads() {
    let c = load(
        "# Fig. 19 MLP
circuit mlp
size b = 2
input image [b x=28 y=28]
flat  = reshape image (x y) -> i=784
h1    = linear+ flat i -> n1=512 ; relu
h2    = linear+ h1 n1 -> n2=512 ; relu
out   = linear+ h2 n2 -> o=10
probs = softmax out over o
output probs
",
    )
    .unwrap();
    let cost = summarize(&c, &c.default_bindings(), 4).unwrap();
    assert_eq!(cost.params, 669_706);
    assert_eq!(c.params[0].name, "h1.linear.W");
    assert_eq!(c.value(c.outputs[0]).name, "probs");
}

#[test]
fn syntax_errors_name_line_column_and_token() {
    assert_eq!(
        err(&format!("{HEAD}y = linear x n -> = 3\n")),
        "t.ncd:3:19: expected an axis name after '->', found '='"
    );
    assert_eq!(
        err(&format!("{HEAD}y = linear x n o\n")),
        "t.ncd:3:16: unknown axis `o` (in scope: b, n)"
    );
    assert_eq!(
        err(&format!("{HEAD}y = linear x n\n")),
        "t.ncd:3:15: expected an input axis or '->', found end of line"
    );
    assert_eq!(
        err(&format!("{HEAD}y = reshape x n o\n")),
        "t.ncd:3:17: unknown axis `o` (in scope: b, n)"
    );
    assert_eq!(
        err(&format!("{HEAD}y = softmax x n\n")),
        "t.ncd:3:15: expected 'over' and the axes 'softmax' acts on, found 'n'"
    );
    assert_eq!(
        err("circuit t\ninput x [b n=4] $\n"),
        "t.ncd:2:17: unexpected character '$'"
    );
    assert_eq!(
        err(&format!("{HEAD}frobnicate x\n")),
        "t.ncd:3:1: expected a statement (circuit, size, constraint, axis, input, param, \
         output, block, or NAME = operation), found 'frobnicate'"
    );
    assert_eq!(
        err(&format!("{HEAD}y = blur x\n"))
            .split(" (")
            .next()
            .unwrap(),
        "t.ncd:3:5: expected an operation"
    );
    assert_eq!(
        err(&format!("{HEAD}y = relu x ;\n")),
        "t.ncd:3:13: expected an operation after ';', found end of line"
    );
    assert_eq!(
        err("circuit t\ninput x [b:bacth]\n"),
        "t.ncd:2:12: expected an axis kind (batch, feature, token, spatial, kernel, head), \
         found 'bacth'"
    );
    assert_eq!(
        err("circuit t\ninput x [\"c/g\"]\n"),
        "t.ncd:2:10: axis `c/g` needs a size, as `c/g=8`: its name is not a size symbol"
    );
    assert_eq!(
        err("circuit t\nsize H' = 3\n"),
        "t.ncd:2:6: `H'` is not a size symbol (letters, digits and `_`)"
    );
    assert_eq!(
        err("circuit t\ninput x [b n=\"q\"#2]\n"),
        "t.ncd:2:14: `q#2`: only axis names take a `#` tag"
    );
}

#[test]
fn unknown_names_are_errors() {
    assert_eq!(
        err(&format!("{HEAD}y = relu z\noutput y\n")),
        "t.ncd:3:10: unknown value `z` (in scope: x)"
    );
    assert_eq!(
        err(&format!("{HEAD}y = sum x over m\n")),
        "t.ncd:3:16: unknown axis `m` (in scope: b, n)"
    );
    assert_eq!(
        err(&format!("{HEAD}y = linear x n -> o using L.W\n")),
        "t.ncd:3:27: unknown parameter `L.W` (no parameter is in scope yet)"
    );
    assert_eq!(
        err(&format!("{HEAD}y = load C1\n")),
        "t.ncd:3:5: op `load C1` (load): nothing was saved as `C1`"
    );
}

#[test]
fn redefinitions_are_errors() {
    assert_eq!(
        err(&format!("{HEAD}y = relu x\ny = tanh x\n")),
        "t.ncd:4:1: `y` is already defined at line 3"
    );
    assert_eq!(
        err(&format!("{HEAD}input x [b]\n")),
        "t.ncd:3:7: `x` is already defined at line 2"
    );
    assert_eq!(
        err(&format!("{HEAD}y = linear x n -> n=5\n")),
        "t.ncd:3:19: axis `n` is already defined at line 2; write `n` alone to refer to it, \
         or give the new axis another name"
    );
    assert_eq!(
        err("circuit t\nsize b = 2\nsize b = 3\n"),
        "t.ncd:3:6: size `b` already has a default"
    );
}

#[test]
fn wrong_arity_is_an_error() {
    assert_eq!(
        err(&format!("{HEAD}y = add x\n")),
        "t.ncd:3:10: expected the second value of 'add', found end of line"
    );
    assert_eq!(
        err(&format!("{HEAD}y = relu x x\n")),
        "t.ncd:3:12: expected ';' or end of line after the arguments of 'relu', found 'x'"
    );
    let e = err(&format!("{HEAD}y = einsum \"b n, b n -> b\" x\n"));
    assert!(
        e.contains("signature has 2 operands but 1 were given"),
        "{e}"
    );
    assert_eq!(
        err(&format!("{HEAD}y = concat x along b n -> u\n")),
        "t.ncd:3:5: concat: 1 values but 2 axes after 'along'; give one axis per value"
    );
    assert_eq!(
        err(&format!("{HEAD}y = relu x ; constant 1 []\n")),
        "t.ncd:3:14: `constant` takes no input value, so it cannot follow ';'"
    );
}

#[test]
fn type_errors_come_from_the_builder_with_a_position() {
    assert_eq!(
        err(&format!("{HEAD}m = relu x\ny = linear m b2=3 -> o\n")),
        "t.ncd:4:14: unknown axis `b2`; did you mean `b`? (in scope: b, n)"
    );
    let e = err("circuit t\ninput x [b n=4]\ninput z [m=3]\ny = add z x\n");
    assert!(e.starts_with("t.ncd:4:5: op `y` (add): axis "), "{e}");
}

#[test]
fn blocks_and_outputs_are_checked() {
    assert_eq!(
        err(&format!("{HEAD}block B {{\ny = relu x\n")),
        "t.ncd:4:11: expected '}' closing block `B` opened at line 3, found end of file"
    );
    assert_eq!(
        err(&format!("{HEAD}}}\n")),
        "t.ncd:3:1: found '}' but no block is open"
    );
    assert_eq!(
        err(&format!("{HEAD}y = relu x\n")),
        "t.ncd:3:11: the circuit has no outputs: add a line `output NAME`"
    );
    assert_eq!(
        err(&format!("{HEAD}block B [2 of 2] {{\n}}\n")),
        "t.ncd:3:7: block `B`: iteration 2 of 2 is out of range"
    );
}

#[test]
fn identical_names_are_one_axis_tags_make_two() {
    let c = load(
        "circuit t
         input q [y=2 k=4]
         input r [x=3 k]          # the same k
         s = einsum \"y k, x k -> y x\" q r
         output s",
    )
    .unwrap();
    assert_eq!(c.axes.len(), 3);
    // two axes both displayed `k`: the einsum refuses to contract them
    let e = load(
        "circuit t
         input q [y=2 k#1=4]
         input r [x=3 k#2=4]
         s = einsum \"y k, x k -> y x\" q r
         output s",
    )
    .unwrap_err();
    // (the builder's messages tag axes by id: k#1 and k#3 here)
    assert!(
        e.to_string()
            .contains("`k` is axis k#1 in one place and axis k#3"),
        "{e}"
    );
}

#[test]
fn einsum_groups_and_odd_names_round_trip() {
    let c = load(
        "circuit \"grouped \\\"einsum\\\"\"
         input a [x=3 m=8]
         input w [k=2 h:head=4]
         \"y·(k h)\" = einsum \"x (k h), k h -> x\" a w ; scale -0.25 ; sum over x
         output \"y·(k h)\"",
    )
    .unwrap();
    assert_eq!(c.name, "grouped \"einsum\"");
    let nc_diagram::ir::Op::Einsum(nc_diagram::ir::Einsum { operands, .. }) = &c.nodes[0].op else {
        panic!("{:?}", c.nodes[0].op)
    };
    assert_eq!(c.axis(operands[0][1].axis).name, "m");
    assert_eq!(operands[0][1].parts.len(), 2);
    let text = save(&c);
    assert!(text.contains("\"y·(k h)\" = sum"), "{text}");
    assert_eq!(load(&text).unwrap(), c);
    let c = load("circuit t\ninput \"two\\nlines\" [n]\noutput \"two\\nlines\"").unwrap();
    assert_eq!(c.values[0].name, "two\nlines");
    assert_eq!(load(&save(&c)).unwrap(), c);
}

/// A circuit with every operation and function, shared and oddly named parameters.
fn every_op() -> Circuit {
    use nc_diagram::builder::{Builder, WindowSpec};
    use nc_diagram::ir::{AxisKind as K, Func, Init, ReduceKind};
    use nc_diagram::size::{Constraint, SizeExpr};
    let mut b = Builder::new("every op");
    b.size("n", Some(6));
    b.size("unused", None);
    b.constraint(Constraint::Ge(SizeExpr::sym("n"), SizeExpr::lit(2)));
    let bb = b.axis("b", "2", K::Batch).unwrap();
    let n = b.axis("n", "n", K::Feature).unwrap();
    let hh = b.axis("H", "8", K::Spatial).unwrap();
    let v = b.axis("v", "5", K::Feature).unwrap();
    let x = b.input("x", &[bb, n, hh]);
    let ids = b.index_input("ids", &[bb]);
    let w = b.param("W", &[n, v], Init::FanIn(vec![n]));
    b.share(w);
    let y1 = b.linear_with("L1", x, &[n], &[v], w, None).unwrap();
    let y2 = b.linear_with("L2", x, &[n], &[v], w, None).unwrap();
    let s = b.mul("prod", y1, y2).unwrap();
    let s = b.map("sig", s, Func::Sigmoid).unwrap();
    let s = b.map("exp", s, Func::Exp).unwrap();
    let s = b.map("sq", s, Func::Square).unwrap();
    let s = b.map("half", s, Func::Scale(0.5)).unwrap();
    let s = b
        .map(
            "norm_v",
            s,
            Func::ScaleBySize(SizeExpr::parse("n - 1").unwrap(), -1.5),
        )
        .unwrap();
    let p = b.permute("swap", s, &[v, hh, bb]).unwrap();
    let m = b.reduce("max", p, ReduceKind::Max, &[v]).unwrap();
    b.begin_block("B", 0, 1, false);
    let l = b.norm("ln", m, &[hh], &[hh], true, 1e-3).unwrap();
    let l = b.norm("plain", l, &[hh], &[hh], false, 1e-5).unwrap();
    let (win, pairs) = b
        .window("win", l, &[(hh, WindowSpec::new(3).stride(2).padding(1))])
        .unwrap();
    let r = b
        .reduce("mean", win, ReduceKind::Mean, &[pairs[0].1])
        .unwrap();
    let kk = b.axis("kk", "2", K::Kernel).unwrap();
    let up = b.linear("up", r, &[], &[kk], false).unwrap();
    let was = [nc_diagram::ir::WindowAxis {
        input: hh,
        output: pairs[0].0,
        kernel: kk,
        stride: 2,
        dilation: 1,
        padding: 0,
    }];
    let back = b.window_t("back", up, &was).unwrap();
    b.end_block().unwrap();
    let saved = b.save("S", back).unwrap();
    let c2 = b.copy("dup", saved, 3).unwrap();
    let ld = b.load("S").unwrap();
    let one = b.constant("one", &[bb], 1.0).unwrap();
    let _ = b.add("plus", ld, one).unwrap();
    let h2 = b.axis("H2", "16", K::Spatial).unwrap();
    let cat = b.concat("cat", &[c2[0], c2[1]], &[hh, hh], h2).unwrap();
    let flat = b.axis("f", "32", K::Feature).unwrap();
    let fl = b.reshape("flat", cat, &[bb, h2], &[flat]).unwrap();
    let e = b.embed("emb", ids, v, &[n]).unwrap();
    let es = b.einsum("dot", "b n, b n -> b", &[e, e]).unwrap();
    b.output(fl);
    b.output(es);
    b.output(c2[2]);
    let mut c = b.finish().unwrap();
    // parameter names no operation would give: written out and passed with `using`
    for p in &mut c.params {
        p.name = format!("custom {}", p.name);
    }
    // a node in block B whose name lacks the block's prefix: written `/elsewhere`
    c.nodes[10].name = "elsewhere".into();
    c.values[12].name = "elsewhere".into();
    c
}

#[test]
fn every_operation_round_trips() {
    let c = every_op();
    let text = save(&c);
    let back = load(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, c, "{text}");
    for op in [
        "sigmoid", "exp", "square", "scale", "mul", "permute", "max", "norm", "window", "window_t",
        "save", "copy", "load", "constant", "concat", "reshape", "embed", "einsum",
    ] {
        assert!(
            text.contains(&format!("= {op} ")),
            "{op} missing from\n{text}"
        );
    }
    assert!(text.contains("using \"custom W\"\n"), "{text}");
    assert!(text.contains("eps 0.001 using"), "{text}");
    assert!(
        text.contains("  /elsewhere = norm max over H affine H eps 0.001"),
        "{text}"
    );
    assert!(text.contains("  param /\"custom B.up.W\" [kk]"), "{text}");
}

#[test]
fn blocks_sharing_and_explicit_params_load() {
    let c = load(
        "circuit rnn
         size n = 8
         input h0 [b n]
         block Step [0 of 2] shared {
           h = linear+ h0 n -> n ; tanh
         }
         block Step [1 of 2] shared {
           h = linear+ \"Step[0].h\" n -> n ; tanh
         }
         param scale [n m=n] init const(0.5) shared
         out = linear \"Step[1].h\" n -> m using scale
         output out",
    );
    let e = c.as_ref().err().map(|e| e.to_string());
    let c = c.unwrap_or_else(|_| panic!("{e:?}"));
    // the second iteration reuses the first one's weight and bias, its twin axis `n_in`
    assert_eq!(c.params.len(), 3);
    assert!(c.params[0].shared && c.params[0].name == "Step[0].h.linear.W");
    assert_eq!(c.blocks.len(), 2);
    assert_eq!(load(&save(&c)).unwrap(), c);
}

#[test]
fn repeated_blocks_carry_values_and_share_weights() {
    let text = "circuit deep
         size n = 8
         input x [b n]
         block Layer repeat 3 shared {
           x = linear+ x n -> n ; tanh      # reads the previous iteration's x
         }
         output Layer.x";
    let c = load(text).unwrap();
    assert_eq!(c.blocks.len(), 3);
    assert_eq!(
        c.params.len(),
        2,
        "three iterations, one weight and one bias"
    );
    assert_eq!(c.axes.len(), 3, "b, n and the weight's twin n_in");
    assert!(c.params.iter().all(|p| p.shared));
    assert_eq!(c.value(c.outputs[0]).name, "Layer[2].x");
    let chain: Vec<_> = c.nodes.iter().map(|n| n.inputs[0]).collect();
    assert_eq!(
        c.value(chain[2]).name,
        "Layer[0].x",
        "iteration 1 reads iteration 0"
    );
    let saved = save(&c);
    assert!(saved.contains("block Layer [2 of 3] shared {"), "{saved}");
    assert_eq!(load(&saved).unwrap(), c);
    assert_eq!(
        err("circuit t
input x [n]
block B repeat 2 {
y = relu x
"),
        "t.ncd:4:11: expected '}' closing block `B` opened at line 3, found end of file"
    );
}

#[test]
fn json_errors_keep_their_position() {
    let text = save_json(&zoo::mlp());
    let e = load(&text[..text.len() / 2]).unwrap_err();
    assert!(matches!(e, TextError::Syntax { .. }), "{e}");
    let mut bad = zoo::mlp();
    bad.nodes.swap(1, 2);
    bad.nodes[1].id.0 = 1;
    bad.nodes[2].id.0 = 2;
    let e = load(&save_json(&bad)).unwrap_err();
    assert!(e.to_string().contains("before it is computed"), "{e}");
}

#[test]
fn garbage_never_panics() {
    let text = save(&zoo::ncap_swimmer());
    for cut in (0..text.len()).step_by(37) {
        if text.is_char_boundary(cut) {
            let _ = load(&text[..cut]);
        }
    }
    assert_eq!(
        err("circuit t\ninput x [n=99999999999999]\n"),
        "t.ncd:2:12: size 99999999999999 is too large (at most 2^40)"
    );
    let e = err("circuit t\ninput x [a=1099511627776 c=1099511627776]\ny = reshape x a c -> d\n");
    assert!(e.contains("too large"), "{e}");
    let e = err("circuit t\ninput x [H=8]\ny = window x (H by k=3 dilation 4000000000)\n");
    assert!(e.contains("within"), "{e}");
    let e = err("circuit t\ninput x [H=8]\ny = copy x 99999999999\n");
    assert!(e.contains("copies"), "{e}");
    // every saved file with one line left out loads or is refused, never panics
    for name in ["ncap_swimmer", "conv", "transformer"] {
        let text = save(&zoo::get(name).unwrap());
        let lines: Vec<&str> = text.lines().collect();
        for skip in 0..lines.len() {
            let mut t: Vec<&str> = lines.clone();
            t.remove(skip);
            let _ = load(&t.join("\n"));
        }
    }
    for junk in [
        "",
        "{",
        "}",
        "x =",
        "= =",
        "input",
        "y = window",
        "\"",
        "a#1 = 2",
    ] {
        let _ = load(junk);
    }
}

/// Every named map prints under its name and loads back; `gelu_tanh` is read as `gelu`.
#[test]
fn every_map_round_trips_by_name() {
    use nc_diagram::ir::{Func, Op};
    for f in Func::NAMED {
        let name = f.name();
        let text = format!("circuit t\nsize n = 3\ninput x [n]\ny = {name} x\noutput y\n");
        let c = load(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(c.nodes.iter().any(|n| n.op == Op::Map(f.clone())), "{name}");
        assert_eq!(load(&save(&c)).unwrap(), c, "{name}");
    }
    let c = load("circuit t\nsize n = 3\ninput x [n]\ny = gelu_tanh x\noutput y\n").unwrap();
    assert!(c.nodes.iter().any(|n| n.op == Op::Map(Func::Gelu)));
}

/// Unknown names suggest the closest names in scope (one edit, or another case) and list
/// what is in scope.
#[test]
fn unknown_names_suggest_what_is_in_scope() {
    let head = "circuit t\ninput x [b t m=4]\n";
    assert_eq!(
        err(&format!("{head}y = sum x over T\n")),
        "t.ncd:3:16: unknown axis `T`; did you mean `t`? (in scope: b, m, t)"
    );
    assert_eq!(
        err(&format!("{head}h = relu x\ny = tanh hh\n")),
        "t.ncd:4:10: unknown value `hh`; did you mean `h`? (in scope: h, x)"
    );
}

/// `select` refuses a position past a literal size when built and past a bound size when
/// run; `sinusoid` wants exactly two axes, and an even feature axis when run.
#[test]
fn select_and_sinusoid_errors_say_what_was_expected() {
    assert_eq!(
        err(&format!("{HEAD}y = select x n 4\n")),
        "t.ncd:3:5: op `y` (select): index 4 is outside axis n of size 4; expected 0 to 3"
    );
    assert_eq!(
        err(&format!("{HEAD}y = select x n\n")),
        "t.ncd:3:15: expected the position selected (from 0), found end of line"
    );
    assert_eq!(
        err(&format!("{HEAD}p = sinusoid [n]\n")),
        "t.ncd:3:5: sinusoid: expected two axes in brackets, [positions features], found 1"
    );
    assert_eq!(
        err(&format!("{HEAD}p = relu x ; sinusoid [b n]\n")),
        "t.ncd:3:14: `sinusoid` takes no input value, so it cannot follow ';'"
    );
    // at run time: position 2 of b = 2, then an odd feature axis m = 3
    let c = load(&format!(
        "{HEAD}y = select x b 2\np = sinusoid [b m=3]\noutput y p\n"
    ))
    .unwrap();
    let run = |b: i64| {
        let bind: nc_diagram::size::Bindings = [("b".to_string(), b)].into_iter().collect();
        let bound = nc_diagram::exec::Bound::new(&c, &bind).unwrap();
        let p = nc_diagram::exec::init_params::<f64>(&c, &bound, 1);
        let x = nc_diagram::exec::random_inputs::<f64>(&c, &bound, 2);
        nc_diagram::exec::forward(&c, &bound, &p, &x)
            .err()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        run(2),
        "op `y` (select): index 2 is outside axis b of size 2"
    );
    assert_eq!(
        run(3),
        "op `p` (sinusoid): the feature axis m has odd size 3; sines and cosines come in pairs, so it needs an even one"
    );
}

/// A λ-indexed repeat: names and sizes per instance, values carried from one to the next.
const LAMBDA: &str = "circuit lam
size c = 2
input x [b=1 c0=1]
block Down repeat 3 as λ {
  y = linear x c{λ-1} -> c{λ}=c*2^λ ; relu
  x = save C{λ} y
}
h = relu Down.x
block Up repeat 2 as μ from 2 {
  s = load C{μ}
  t = linear h c{5-μ} -> c{μ}
  h = add s t
}
output h
";

#[test]
fn lambda_repeats_give_each_instance_its_sizes_and_names() {
    let c = load(LAMBDA).unwrap();
    let sizes: Vec<String> = (1..=3)
        .map(|i| {
            let a = c.axes.iter().find(|a| a.name == format!("c{i}")).unwrap();
            a.size.to_string()
        })
        .collect();
    assert_eq!(sizes, ["c*2", "c*4", "c*8"]);
    let labels: Vec<&str> = c
        .nodes
        .iter()
        .filter_map(|n| match &n.op {
            nc_diagram::ir::Op::Save(l) | nc_diagram::ir::Op::Load(l) => Some(l.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(labels, ["C1", "C2", "C3", "C2", "C3"]);
    // Down[1] reads Down[0]'s x; Up[0] reads `h` outside, Up[1] Up[0]'s
    let lin = |name: &str| c.nodes.iter().find(|n| n.name == name).unwrap();
    assert_eq!(c.value(lin("Down[1].y.linear").inputs[0]).name, "Down[0].x");
    assert_eq!(c.value(lin("Up[0].t").inputs[0]).name, "h");
    assert_eq!(c.value(lin("Up[1].t").inputs[0]).name, "Up[0].h");
    assert_eq!(load(&save(&c)).unwrap(), c);
}

#[test]
fn bad_lambda_expressions_are_clear_errors() {
    let with = |from: &str, to: &str| err(&LAMBDA.replacen(from, to, 1));
    assert_eq!(
        with("as μ from 2 {", "as μ from 2 with h = nothing {"),
        "t.ncd:9:40: unknown value `nothing` (in scope: Down.x, Down.y, Down.y.linear, \
         Down[0].x, Down[0].y, Down[0].y.linear, Down[1].x, Down[1].y, Down[1].y.linear, \
         Down[2].x, Down[2].y, Down[2].y.linear and 2 more)"
    );
    assert_eq!(
        with("c{λ-1} ->", "c{λ/2} ->"),
        "t.ncd:5:17: `{λ/2}` with λ = 1: 1/2 is not a whole number"
    );
    assert_eq!(
        with("c{λ-1} ->", "c{ν} ->"),
        "t.ncd:5:17: unknown name `ν` in `{ν}`: the repeat index here is `λ`"
    );
    assert_eq!(
        with("c*2^λ", "c*2^(0-λ)"),
        "t.ncd:5:29: the power `0 - 1` of a size must be a whole number, 0 or more (as 2^3, or 2^λ in a repeat indexed by λ)"
    );
    assert_eq!(
        with("as λ {", "as c {"),
        "t.ncd:4:24: block `Down`: the repeat index `c` is also a size; give it another name"
    );
    assert_eq!(
        with("input x [b=1 c0=1]", "input x [b=1 c{1}=1]"),
        "t.ncd:3:15: `{…}` stands for the value of a repeat index, which exists only inside `block NAME repeat N as λ { … }`"
    );
    assert_eq!(
        with(
            "  x = save C{λ} y\n",
            "  x = save C{λ} y\n  block In repeat 1 as λ {\n  }\n"
        ),
        "t.ncd:7:24: `λ` is already the repeat index of an enclosing block; give this one another name"
    );
}
