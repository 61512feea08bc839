//! How much trouble a tenant is in, for the organisation view that ranks
//! tenants worst first: broken beats a failing baseline, which beats a
//! failed or halted change, which beats being out of compliance, which
//! beats availability under its target. Each reason says itself in words.

use serde::{Deserialize, Serialize};

use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::tenants::lifecycle::LifecycleState;

/// What is known of one tenant.
#[derive(Clone, Debug, PartialEq)]
pub struct TroubleFacts {
    pub state: LifecycleState,
    /// Failing health runs in a row.
    pub health_failures: u32,
    /// Changes of the tenant that failed or were rolled back lately, and
    /// rollout targets of it halted.
    pub failed_changes: u32,
    /// The worst compliance status over the products it runs.
    pub worst_compliance: Option<ComplianceKind>,
    /// Passing health runs over 30 days, in percent.
    pub availability: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum TroubleReason {
    Broken,
    HealthFailing { runs_in_a_row: u32 },
    ChangesFailed { count: u32 },
    OutOfCompliance { status: ComplianceKind },
    BelowAvailability { percent: f64, target: f64 },
}

impl TroubleReason {
    pub fn text(&self) -> String {
        match self {
            Self::Broken => "Broken".into(),
            Self::HealthFailing { runs_in_a_row } => {
                format!("Health baseline failed {runs_in_a_row} time(s) in a row")
            }
            Self::ChangesFailed { count } => format!("{count} change(s) failed or rolled back"),
            Self::OutOfCompliance { status } => format!("Compliance: {}", status.label()),
            Self::BelowAvailability { percent, target } => {
                format!("Availability {percent:.2} % (target {target} %)")
            }
        }
    }

    /// The tone of the reason's badge.
    pub fn critical(&self) -> bool {
        matches!(
            self,
            Self::Broken
                | Self::HealthFailing { .. }
                | Self::OutOfCompliance {
                    status: ComplianceKind::Eol | ComplianceKind::NonCompliant
                }
        )
    }
}

/// A tenant's trouble: a score to rank by (0: none) and its reasons, worst first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Trouble {
    pub score: u32,
    pub reasons: Vec<TroubleReason>,
}

pub fn assess(facts: &TroubleFacts, availability_target: f64) -> Trouble {
    let mut score = 0;
    let mut reasons = vec![];
    if facts.state == LifecycleState::Broken {
        score += 10_000;
        reasons.push(TroubleReason::Broken);
    }
    if facts.health_failures > 0 {
        score += 1_000 + 10 * facts.health_failures.min(99);
        reasons.push(TroubleReason::HealthFailing {
            runs_in_a_row: facts.health_failures,
        });
    }
    if facts.failed_changes > 0 {
        score += 500 + 10 * facts.failed_changes.min(49);
        reasons.push(TroubleReason::ChangesFailed {
            count: facts.failed_changes,
        });
    }
    if let Some(status) = facts.worst_compliance.filter(|s| s.requires_upgrade()) {
        score += match status {
            ComplianceKind::Eol => 300,
            ComplianceKind::NonCompliant => 250,
            _ => 100,
        };
        reasons.push(TroubleReason::OutOfCompliance { status });
    }
    if let Some(percent) = facts.availability.filter(|p| *p < availability_target) {
        // Each percentage point under the target weighs, up to 99.
        score += 50 + ((availability_target - percent) as u32).min(99);
        reasons.push(TroubleReason::BelowAvailability {
            percent,
            target: availability_target,
        });
    }
    Trouble { score, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> TroubleFacts {
        TroubleFacts {
            state: LifecycleState::Active,
            health_failures: 0,
            failed_changes: 0,
            worst_compliance: Some(ComplianceKind::Compliant),
            availability: Some(100.0),
        }
    }

    #[test]
    fn a_healthy_compliant_tenant_is_in_no_trouble() {
        assert_eq!(
            assess(&healthy(), 99.9),
            Trouble {
                score: 0,
                reasons: vec![]
            }
        );
        let outdated = TroubleFacts {
            worst_compliance: Some(ComplianceKind::Outdated),
            availability: None,
            ..healthy()
        };
        assert_eq!(assess(&outdated, 99.9).score, 0, "may upgrade, need not");
    }

    #[test]
    fn trouble_ranks_broken_then_failing_health_then_failed_changes_then_compliance_then_availability()
     {
        let broken = assess(
            &TroubleFacts {
                state: LifecycleState::Broken,
                ..healthy()
            },
            99.9,
        );
        let failing = assess(
            &TroubleFacts {
                health_failures: 2,
                ..healthy()
            },
            99.9,
        );
        let changes = assess(
            &TroubleFacts {
                failed_changes: 3,
                ..healthy()
            },
            99.9,
        );
        let eol = assess(
            &TroubleFacts {
                worst_compliance: Some(ComplianceKind::Eol),
                ..healthy()
            },
            99.9,
        );
        let unavailable = assess(
            &TroubleFacts {
                availability: Some(90.0),
                ..healthy()
            },
            99.9,
        );
        let scores = [
            broken.score,
            failing.score,
            changes.score,
            eol.score,
            unavailable.score,
        ];
        assert!(scores.windows(2).all(|w| w[0] > w[1]), "{scores:?}");
        assert!(unavailable.score > 0);
        assert_eq!(
            unavailable.reasons[0].text(),
            "Availability 90.00 % (target 99.9 %)"
        );
    }

    #[test]
    fn reasons_add_up_and_are_listed_worst_first() {
        let t = assess(
            &TroubleFacts {
                state: LifecycleState::Broken,
                health_failures: 4,
                failed_changes: 1,
                worst_compliance: Some(ComplianceKind::InGrace),
                availability: Some(99.0),
            },
            99.9,
        );
        assert_eq!(t.reasons.len(), 5);
        assert_eq!(t.reasons[0], TroubleReason::Broken);
        assert!(t.reasons[0].critical());
        assert!(!t.reasons[2].critical());
        assert_eq!(
            t.reasons[1].text(),
            "Health baseline failed 4 time(s) in a row"
        );
    }
}
