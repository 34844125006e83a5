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
}
