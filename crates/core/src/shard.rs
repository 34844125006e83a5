//! `--shard I/N`: which units of a sweep this process runs.
//!
//! A sweep expands to an ordered list of units; shard `I/N` takes the units whose position
//! is `I mod N`. A Slurm job array maps `SLURM_ARRAY_TASK_ID` to `I`.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// One shard of a sweep, `index` in `0..count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// This shard's index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

/// A malformed `--shard` value.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid shard {input:?}: expected I/N with 0 <= I < N, e.g. 0/4")]
pub struct ShardParseError {
    /// What the user wrote.
    pub input: String,
}

impl Shard {
    /// The whole sweep in one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether unit number `unit` belongs to this shard.
    pub fn owns(&self, unit: usize) -> bool {
        unit % self.count == self.index
    }

    /// The units of `units` that this shard runs, with their global positions.
    ///
    /// ```
    /// let s: nc_core::shard::Shard = "1/3".parse().unwrap();
    /// let mine: Vec<_> = s.select(&["a", "b", "c", "d", "e"]).collect();
    /// assert_eq!(mine, vec![(1, &"b"), (4, &"e")]);
    /// ```
    pub fn select<'a, T>(&'a self, units: &'a [T]) -> impl Iterator<Item = (usize, &'a T)> + 'a {
        units.iter().enumerate().filter(move |(i, _)| self.owns(*i))
    }
}

impl FromStr for Shard {
    type Err = ShardParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ShardParseError {
            input: s.to_string(),
        };
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let index: usize = i.trim().parse().map_err(|_| err())?;
        let count: usize = n.trim().parse().map_err(|_| err())?;
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_units() {
        let units: Vec<usize> = (0..17).collect();
        let mut seen = [0; 17];
        for i in 0..4 {
            let s = Shard { index: i, count: 4 };
            for (_, u) in s.select(&units) {
                seen[*u] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in ["", "3", "4/4", "a/2", "1/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!("2/5".parse::<Shard>(), Ok(Shard { index: 2, count: 5 }));
    }

    /// Fuzzing `--shard`: CI runs proptest's default case count (256); before a release run
    /// `PROPTEST_CASES=1000000 cargo test -p nc-core fuzz`.
    mod fuzz {
        use super::*;

        proptest::proptest! {
            /// Any text parses to a valid shard that prints back as itself, or is refused with a
            /// message that quotes it and says what was expected.
            #[test]
            fn any_text_is_a_valid_shard_or_a_message(s in "\\PC{0,12}|[ +-]?[0-9]{0,22}[ ]?/[ ]?[+-]?[0-9]{0,22}") {
                match s.parse::<Shard>() {
                    Ok(sh) => {
                        proptest::prop_assert!(sh.count > 0 && sh.index < sh.count);
                        proptest::prop_assert_eq!(sh.to_string().parse::<Shard>(), Ok(sh));
                        // unit `index` is this shard's and no neighbour's
                        let next = Shard { index: (sh.index + 1) % sh.count, count: sh.count };
                        proptest::prop_assert!(sh.owns(sh.index) && (sh.count == 1 || !next.owns(sh.index)));
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        proptest::prop_assert!(msg.contains(&format!("{s:?}")) && msg.contains("expected I/N"), "{}", msg);
                    }
                }
            }
        }
    }
}
