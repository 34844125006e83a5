//! Checks of command-line values at the boundary, so a bad flag is reported with the flag's
//! name (clap adds it: "invalid value 'NaN' for '--freq <FREQ>': …") instead of surfacing
//! later as a library error about something the user never typed.

/// A finite number (negative allowed).
pub fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number, got {s:?}"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("must be a finite number, got {v}"))
    }
}

/// A whole number of at least 1.
pub fn positive(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(v) => Ok(v),
        Err(_) => Err(format!("expected a whole number of at least 1, got {s:?}")),
    }
}

/// A swimmer's body count, in `MIN_BODIES..=MAX_BODIES`.
pub fn bodies(s: &str) -> Result<usize, String> {
    use nc_swimmer::{MAX_BODIES, MIN_BODIES};
    let range = || format!("{MIN_BODIES} to {MAX_BODIES}");
    match s.trim().parse::<usize>() {
        Ok(v) if (MIN_BODIES..=MAX_BODIES).contains(&v) => Ok(v),
        Ok(v) => Err(format!("a swimmer has {} bodies, got {v}", range())),
        Err(_) => Err(format!(
            "expected a whole number from {}, got {s:?}",
            range()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_and_junk_are_refused_with_a_reason() {
        assert_eq!(finite("-0.5"), Ok(-0.5));
        for bad in ["NaN", "inf", "-inf", "1e999", "", "x"] {
            assert!(finite(bad).is_err(), "{bad}");
        }
        assert_eq!(positive("3"), Ok(3));
        assert!(positive("0").unwrap_err().contains("at least 1"));
        assert!(positive("-1").is_err());
        assert_eq!(bodies("6"), Ok(6));
        assert!(bodies("2").unwrap_err().contains("3 to 20"));
        assert!(bodies("21").is_err());
    }
}
