//! The one rule for sentences that say a result agrees or disagrees with a paper.
//!
//! A verdict is earned only by a run that could have shown either outcome. Every caller first
//! says whether its run was [`Budget::Sufficient`] to test the claim (for example: both models
//! learned, enough seeds ran), and only then whether the claim held. A run too small to judge
//! says so, and names the budget that would be needed, whatever the numbers happened to be.
//!
//! ```
//! use nc_core::verdict::{Budget, Verdict};
//! let v = Verdict::judge(Budget::Sufficient, true);
//! assert_eq!(v, Verdict::Agrees);
//! let small = Budget::too_small("the MLPs did not learn (final 45 to 115)", "--preset medium");
//! let v = Verdict::judge(small, true);
//! assert!(v.sentence().starts_with("The budget is too small to judge"));
//! ```

use serde::{Deserialize, Serialize};

/// Whether a run could have shown the claim either way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "budget", rename_all = "snake_case")]
pub enum Budget {
    /// The run could have shown either outcome.
    Sufficient,
    /// The run could not test the claim.
    TooSmall {
        /// Why not, from this run's numbers ("the MLPs did not learn: final 45 to 115").
        why: String,
        /// What would be needed ("--preset medium: 3 seeds, 3e5 steps").
        needed: String,
    },
}

impl Budget {
    /// A budget too small to judge, with the reason and what would be needed.
    pub fn too_small(why: impl Into<String>, needed: impl Into<String>) -> Self {
        Budget::TooSmall {
            why: why.into(),
            needed: needed.into(),
        }
    }

    /// `Sufficient` when `ok`, otherwise too small for the reasons given.
    pub fn sufficient_if(ok: bool, why: impl Into<String>, needed: impl Into<String>) -> Self {
        if ok {
            Budget::Sufficient
        } else {
            Budget::too_small(why, needed)
        }
    }

    /// The stricter of two budgets: too small if either is (the first reason wins).
    pub fn and(self, other: Budget) -> Budget {
        match self {
            Budget::Sufficient => other,
            small => small,
        }
    }
}

/// What a run says about a paper's claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The claim held in a run that could have refuted it.
    Agrees,
    /// The claim failed in a run that could have confirmed it.
    Disagrees,
    /// The run could not have shown either.
    TooSmallToJudge {
        /// Why not.
        why: String,
        /// What would be needed.
        needed: String,
    },
}

impl Verdict {
    /// The verdict of a run with `budget` in which the claim `holds` (or not).
    ///
    /// A budget too small to judge wins over the outcome: the numbers of such a run are not
    /// evidence either way.
    pub fn judge(budget: Budget, holds: bool) -> Verdict {
        match budget {
            Budget::TooSmall { why, needed } => Verdict::TooSmallToJudge { why, needed },
            Budget::Sufficient if holds => Verdict::Agrees,
            Budget::Sufficient => Verdict::Disagrees,
        }
    }

    /// One sentence for a caption or a results table.
    pub fn sentence(&self) -> String {
        match self {
            Verdict::Agrees => "This agrees with the paper's claim.".into(),
            Verdict::Disagrees => "This does not agree with the paper's claim in this run.".into(),
            Verdict::TooSmallToJudge { why, needed } => format!(
                "The budget is too small to judge the paper's claim: {why}. Judging it needs {needed}."
            ),
        }
    }

    /// A short word for tables: `agrees`, `disagrees` or `too small to judge`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Agrees => "agrees",
            Verdict::Disagrees => "disagrees",
            Verdict::TooSmallToJudge { .. } => "too small to judge",
        }
    }

    /// A CSS class for HTML: `verdict-agree`, `verdict-disagree` or `verdict-unjudged`.
    pub fn css_class(&self) -> &'static str {
        match self {
            Verdict::Agrees => "verdict-agree",
            Verdict::Disagrees => "verdict-disagree",
            Verdict::TooSmallToJudge { .. } => "verdict-unjudged",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sufficient_run_agrees_when_the_claim_holds() {
        let v = Verdict::judge(Budget::Sufficient, true);
        assert_eq!(v, Verdict::Agrees);
        assert_eq!(v.word(), "agrees");
        assert!(v.sentence().contains("agrees with the paper"));
    }

    #[test]
    fn a_sufficient_run_disagrees_when_the_claim_fails() {
        let v = Verdict::judge(Budget::Sufficient, false);
        assert_eq!(v, Verdict::Disagrees);
        assert_eq!(v.css_class(), "verdict-disagree");
        assert!(v.sentence().contains("does not agree"));
    }

    #[test]
    fn a_small_run_is_too_small_to_judge_whatever_the_outcome() {
        for holds in [true, false] {
            let b = Budget::too_small("the MLP did not learn", "3 seeds at 3e5 steps");
            let v = Verdict::judge(b, holds);
            assert_eq!(v.word(), "too small to judge");
            let s = v.sentence();
            assert!(s.contains("the MLP did not learn"), "{s}");
            assert!(s.contains("3 seeds at 3e5 steps"), "{s}");
            assert!(!s.contains("agrees"), "{s}");
        }
    }

    #[test]
    fn the_stricter_budget_wins() {
        let small = Budget::too_small("a", "b");
        assert_eq!(Budget::Sufficient.and(small.clone()), small);
        assert_eq!(small.clone().and(Budget::Sufficient), small);
        assert_eq!(
            Budget::sufficient_if(true, "x", "y").and(Budget::Sufficient),
            Budget::Sufficient
        );
    }
}
