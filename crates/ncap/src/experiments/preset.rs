//! The experiments' presets in one table: seeds, budgets and network sizes for a first look
//! (`quick`), for evidence on 2 cores in about an hour (`medium`), and for the paper's scale
//! (`full`).

use super::unit::Algo;
use serde::{Deserialize, Serialize};

/// Size of an experiment's runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Seconds to minutes on 2 cores: CI and a first look. Too small for the MLPs to learn.
    #[default]
    Quick,
    /// About half an hour on 2 cores: 3 seeds, about 3·10⁵ steps for ES and PPO and 10⁵ for
    /// DDPG (one 256×256 update per step), enough for the claims where the MLP learns.
    Medium,
    /// The paper's scale: 10 seeds, 10⁶ steps, PPO's MLP at 256×256 (hours; a cluster).
    /// `paper` on the command line names it too.
    Full,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 3] = [Preset::Quick, Preset::Medium, Preset::Full];

    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Quick => "quick",
            Preset::Medium => "medium",
            Preset::Full => "full",
        }
    }

    /// Seeds per variant.
    pub fn seeds(self) -> usize {
        match self {
            Preset::Quick => 2,
            Preset::Medium => 3,
            Preset::Full => 10,
        }
    }

    /// Test episodes per log row (Tonic: 5).
    pub fn test_episodes(self) -> usize {
        match self {
            Preset::Quick => 3,
            _ => 5,
        }
    }

    /// Step budget of a learning-curve unit: whole ES generations (8 × 1,000 steps) and whole
    /// PPO segments (4,096 steps), so nothing is rounded away, and past 10⁶ at full size so
    /// the return at 10⁶ steps is measured.
    pub fn curve_steps(self, algo: Algo) -> u64 {
        match (algo, self) {
            (Algo::Es, Preset::Quick) => 48_000,
            (Algo::Es, Preset::Medium) => 296_000,
            (Algo::Es, Preset::Full) => 1_000_000,
            (Algo::Ppo, Preset::Quick) => 8_192,
            (Algo::Ppo, Preset::Medium) => 299_008,
            (Algo::Ppo, Preset::Full) => 1_003_520,
            (Algo::Ddpg, Preset::Quick) => 1_000,
            (Algo::Ddpg, Preset::Medium) => 100_000,
            (Algo::Ddpg, Preset::Full) => 1_000_000,
        }
    }

    /// Step budget of the NCAP-only ES experiments (transfer, ablations, raster).
    pub fn ncap_steps(self) -> u64 {
        match self {
            Preset::Quick => 48_000,
            Preset::Medium => 200_000,
            Preset::Full => 304_000,
        }
    }

    /// Step budget of an ablation unit.
    pub fn ablation_steps(self) -> u64 {
        match self {
            Preset::Quick => 24_000,
            _ => self.ncap_steps(),
        }
    }

    /// Hidden sizes of the MLP baseline: the garage/Tonic defaults (ES and PPO 64×64, DDPG
    /// 256×256), and 256×256 for PPO at full size, as in the paper's PPO videos.
    pub fn mlp_hidden(self, algo: Algo) -> Vec<usize> {
        match (algo, self) {
            (Algo::Ppo, Preset::Full) | (Algo::Ddpg, _) => vec![256, 256],
            _ => vec![64, 64],
        }
    }

    /// A sentence on budgets that stay below the rest, for captions and results pages.
    pub fn caveat(self) -> Option<&'static str> {
        match self {
            Preset::Quick => Some(
                "The quick preset is a smoke test: 2 seeds and budgets far too small for the MLPs to learn.",
            ),
            Preset::Medium => Some(
                "The medium preset runs 3 seeds (ES and PPO about 3·10⁵ steps, DDPG 10⁵): a claim is judged where the MLP has learned, and 3 seeds see only differences larger than their noise.",
            ),
            Preset::Full => None,
        }
    }
}

impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s.trim())
            // the paper's scale under the name the paper preset is asked for by
            .or((s.trim() == "paper").then_some(Preset::Full))
            .ok_or_else(|| format!("unknown preset {s:?}: expected quick, medium, full or paper"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_whole_updates_and_grow_with_the_preset() {
        for p in Preset::ALL {
            assert_eq!(p.curve_steps(Algo::Es) % 8_000, 0, "{p:?}");
            assert_eq!(p.curve_steps(Algo::Ppo) % 4_096, 0, "{p:?}");
            assert_eq!(p.ncap_steps() % 8_000, 0, "{p:?}");
            assert_eq!(p.ablation_steps() % 8_000, 0, "{p:?}");
            assert_eq!(p.name().parse::<Preset>().unwrap(), p);
        }
        for algo in [Algo::Es, Algo::Ppo, Algo::Ddpg] {
            assert!(Preset::Quick.curve_steps(algo) < Preset::Medium.curve_steps(algo));
            assert!(Preset::Medium.curve_steps(algo) < Preset::Full.curve_steps(algo));
        }
        assert!(Preset::Full.curve_steps(Algo::Ppo) >= 1_000_000);
        assert_eq!(Preset::Full.mlp_hidden(Algo::Ppo), vec![256, 256]);
        assert!("large".parse::<Preset>().is_err());
        assert_eq!("paper".parse::<Preset>().unwrap(), Preset::Full);
    }
}
