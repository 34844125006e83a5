//! The linear-network theory against an independent Python run of the same set-up (d = 10 and
//! 30, σ = 0.01, 20 tasks, gradient descent to zero loss): KA and RA_h per initialisation.

use nc_richlazy::theory::{TheoryConfig, table};

#[test]
fn note_table_is_reproduced() {
    // (d, [KA for rank 1, 2, d/2, d, aligned], [RA_h for the same])
    let want: [(usize, [f64; 5], [f64; 5]); 2] = [
        (
            10,
            [0.929, 0.946, 0.959, 0.959, 1.000],
            [0.07, 0.09, 0.20, 0.19, 1.000],
        ),
        (
            30,
            [0.971, 0.978, 0.984, 0.985, 1.000],
            [0.04, 0.06, 0.12, 0.13, 1.000],
        ),
    ];
    for (d, ka, ra) in want {
        let rows = table(&TheoryConfig {
            d,
            ..TheoryConfig::default()
        })
        .unwrap();
        assert_eq!(rows.len(), 5);
        for (i, r) in rows.iter().enumerate() {
            eprintln!(
                "d={d} {}: KA {:.3} RA {:.3} (note {:.3}/{:.2}) loss {:.1e}",
                r.label, r.ka, r.ra, ka[i], ra[i], r.final_loss
            );
        }
        for (i, r) in rows.iter().enumerate() {
            assert!(
                (r.ka - ka[i]).abs() <= 0.01,
                "d={d} {}: KA {} vs note {}",
                r.label,
                r.ka,
                ka[i]
            );
            assert!(r.final_loss < 1e-6, "not converged: {}", r.final_loss);
        }
        assert!(
            rows.windows(2).take(3).all(|w| w[0].ka <= w[1].ka + 0.005),
            "KA must rise with rank"
        );
        assert!((rows[4].ka - 1.0).abs() < 5e-4 && (rows[4].ra - 1.0).abs() < 5e-4);
    }
}
