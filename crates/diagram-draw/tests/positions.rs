//! The index selection and the sinusoidal table draw: the table, which has no input wire,
//! as a source box like a constant, the selection as a box the selected axis enters.

#[test]
fn select_and_sinusoid_draw() {
    let c = nc_diagram::parse::text::load(
        "circuit positions\ninput x [b=2 t=5 m=6]\np = sinusoid [t m]\n\
         y = add x p ; select t 0\noutput y\n",
    )
    .expect("circuit");
    let svg = nc_diagram_draw::draw_circuit(&c, &Default::default());
    assert!(svg.contains(">sin/cos</text>"), "{svg}");
    assert!(svg.contains(">select</text>"), "{svg}");
}
