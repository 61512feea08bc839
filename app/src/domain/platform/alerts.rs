//! Built-in alert rules: what each watches, the threshold the vendor may
//! change, its runbook, and the pure decision of which alerts open and
//! which resolve. An alert is one occurrence of a rule's condition for one
//! subject (a tenant, a rollout, a deployment, the job queue): it opens once
//! when the condition starts to hold, stays open (or acknowledged) while it
//! holds, and resolves when it stops; a later occurrence is a new alert.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::rollouts::rollout::RolloutStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AlertRule {
    TenantBroken,
    BaselineFailing,
    ChangeFailed,
    RolloutHalted,
    AutomaticRollback,
    EolWithoutUpgrade,
    WebhookEndpointFailing,
    JobBacklog,
    DeadJobs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Severity {
    Critical,
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Critical => "Critical",
            Self::Warning => "Warning",
        }
    }
}

impl AlertRule {
    pub const ALL: [AlertRule; 9] = [
        Self::TenantBroken,
        Self::BaselineFailing,
        Self::ChangeFailed,
        Self::RolloutHalted,
        Self::AutomaticRollback,
        Self::EolWithoutUpgrade,
        Self::WebhookEndpointFailing,
        Self::JobBacklog,
        Self::DeadJobs,
    ];

    /// The stored and URL form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantBroken => "tenant_broken",
            Self::BaselineFailing => "baseline_failing",
            Self::ChangeFailed => "change_failed",
            Self::RolloutHalted => "rollout_halted",
            Self::AutomaticRollback => "automatic_rollback",
            Self::EolWithoutUpgrade => "eol_without_upgrade",
            Self::WebhookEndpointFailing => "webhook_endpoint_failing",
            Self::JobBacklog => "job_backlog",
            Self::DeadJobs => "dead_jobs",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::TenantBroken => "Tenant broken",
            Self::BaselineFailing => "Health baseline failing",
            Self::ChangeFailed => "Change failed",
            Self::RolloutHalted => "Rollout halted",
            Self::AutomaticRollback => "Automatic rollback",
            Self::EolWithoutUpgrade => "End of life without a scheduled upgrade",
            Self::WebhookEndpointFailing => "Webhook endpoint failing",
            Self::JobBacklog => "Job backlog growing",
            Self::DeadJobs => "Dead jobs",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Self::TenantBroken | Self::AutomaticRollback | Self::DeadJobs | Self::JobBacklog => {
                Severity::Critical
            }
            _ => Severity::Warning,
        }
    }

    /// The runbook in the repository, written for the operator on call.
    pub fn runbook(self) -> String {
        format!("docs/runbooks/{}.md", self.as_str())
    }

    /// What the threshold counts, and its default; `None`: the rule has none.
    pub fn threshold(self) -> Option<(&'static str, u32)> {
        match self {
            Self::BaselineFailing => Some(("consecutive failed runs", 3)),
            Self::EolWithoutUpgrade => Some(("days before end of life", 30)),
            Self::WebhookEndpointFailing => Some(("minutes failing", 30)),
            Self::JobBacklog => Some(("minutes a due job waits", 10)),
            _ => None,
        }
    }

    /// What holds while the alert is open, in the operator's words.
    pub fn describe(self, threshold: Option<u32>) -> String {
        let n = threshold.unwrap_or_default();
        match self {
            Self::TenantBroken => "The tenant's lifecycle state is broken.".into(),
            Self::BaselineFailing => format!("The health baseline failed {n} or more times in a row."),
            Self::ChangeFailed => {
                "The tenant's latest change (outside a rollout, which has its own rule) failed or was rolled back; a later successful change resolves it.".into()
            }
            Self::RolloutHalted => {
                "The rollout stopped or paused itself on its error threshold.".into()
            }
            Self::AutomaticRollback => {
                "The deployment's latest blue-green switch was rolled back automatically.".into()
            }
            Self::EolWithoutUpgrade => format!(
                "A release reaches end of life within {n} days (or has), and tenants still run it with no upgrade scheduled (one alert per release)."
            ),
            Self::WebhookEndpointFailing => {
                format!("Every delivery to the endpoint has failed for {n} minutes or more.")
            }
            Self::JobBacklog => format!("A due job has waited {n} minutes or more for a worker."),
            Self::DeadJobs => "Jobs used up their attempts and wait for a person.".into(),
        }
    }
}

/// A threshold the vendor typed: a whole number from 1 to 10,000.
pub fn parse_threshold(raw: &str) -> Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=10_000).contains(&n) => Ok(n),
        _ => Err("Enter a whole number from 1 to 10000.".into()),
    }
}

/// One rule's condition holding now for one subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub rule: AlertRule,
    /// What the alert is about, unique within the rule (a tenant id, a
    /// rollout id, `queue`…).
    pub key: String,
    pub tenant_id: Option<uuid::Uuid>,
    /// The subject as people name it (a slug, a rollout's name).
    pub subject: String,
    /// Where the subject is in the portal.
    pub link: String,
    pub summary: String,
}

/// Which alerts to open and which to resolve, given the alerts not yet
/// resolved (`unresolved`: rule and key) and the conditions holding now.
/// An acknowledged alert whose condition still holds stays as it is.
pub fn reconcile<'a>(
    unresolved: &[(AlertRule, String)],
    holding: &'a [Condition],
) -> (Vec<&'a Condition>, Vec<(AlertRule, String)>) {
    let open: Vec<&Condition> = holding
        .iter()
        .filter(|c| !unresolved.iter().any(|(r, k)| *r == c.rule && *k == c.key))
        .collect();
    let resolve = unresolved
        .iter()
        .filter(|(r, k)| !holding.iter().any(|c| c.rule == *r && c.key == *k))
        .cloned()
        .collect();
    (open, resolve)
}

/// Whether a rollout halted itself: stopped on its error threshold, or
/// paused with the reason the workflow gave (a person's pause has none).
pub fn rollout_halted(status: RolloutStatus, halt_reason: Option<&str>) -> bool {
    match status {
        RolloutStatus::Stopped => true,
        RolloutStatus::Paused => halt_reason.is_some(),
        _ => false,
    }
}

/// The statuses a halted rollout may be in (the query's first cut; the
/// halt reason decides for a paused one).
pub const HALTED_ROLLOUT_STATUSES: [RolloutStatus; 2] =
    [RolloutStatus::Stopped, RolloutStatus::Paused];

/// When a release's end of life falls, as the alert tells it.
pub fn end_of_life_wording(end_of_life: NaiveDate, today: NaiveDate) -> String {
    let left = (end_of_life - today).num_days();
    match left {
        ..0 => format!("reached end of life on {end_of_life}"),
        0 => format!("reaches end of life today ({end_of_life})"),
        1 => format!("reaches end of life tomorrow ({end_of_life})"),
        _ => format!("reaches end of life on {end_of_life} ({left} days)"),
    }
}

/// Up to `shown` names, then how many more: an alert names a fleet briefly.
pub fn name_some(names: &[String], shown: usize) -> String {
    if names.len() > shown {
        format!(
            "{} and {} more",
            names[..shown].join(", "),
            names.len() - shown
        )
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_halted_when_it_stopped_or_paused_itself_not_when_a_person_paused_it() {
        assert!(rollout_halted(RolloutStatus::Stopped, None));
        assert!(rollout_halted(
            RolloutStatus::Paused,
            Some("3 of 10 failed")
        ));
        assert!(!rollout_halted(RolloutStatus::Paused, None));
        assert!(!rollout_halted(RolloutStatus::Running, Some("stale")));
        for status in RolloutStatus::ALL {
            if rollout_halted(status, Some("x")) {
                assert!(HALTED_ROLLOUT_STATUSES.contains(&status));
            }
        }
    }

    #[test]
    fn end_of_life_is_told_in_days_left_or_as_past() {
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        let today = day("2026-12-07");
        assert_eq!(
            end_of_life_wording(day("2026-12-01"), today),
            "reached end of life on 2026-12-01"
        );
        assert_eq!(
            end_of_life_wording(today, today),
            "reaches end of life today (2026-12-07)"
        );
        assert_eq!(
            end_of_life_wording(day("2026-12-08"), today),
            "reaches end of life tomorrow (2026-12-08)"
        );
        assert_eq!(
            end_of_life_wording(day("2026-12-27"), today),
            "reaches end of life on 2026-12-27 (20 days)"
        );
    }

    #[test]
    fn a_long_list_of_names_is_cut_with_a_count() {
        let names: Vec<String> = (1..=7).map(|i| format!("t{i}")).collect();
        assert_eq!(name_some(&names[..2], 5), "t1, t2");
        assert_eq!(name_some(&names, 5), "t1, t2, t3, t4, t5 and 2 more");
    }

    fn holds(rule: AlertRule, key: &str) -> Condition {
        Condition {
            rule,
            key: key.into(),
            tenant_id: None,
            subject: key.into(),
            link: String::new(),
            summary: String::new(),
        }
    }

    #[test]
    fn an_alert_opens_once_while_its_condition_holds_and_resolves_when_it_stops() {
        let now = [holds(AlertRule::TenantBroken, "t1")];
        let (open, resolve) = reconcile(&[], &now);
        assert_eq!(open.len(), 1);
        assert!(resolve.is_empty());
        let unresolved = [(AlertRule::TenantBroken, "t1".to_owned())];
        let (open, resolve) = reconcile(&unresolved, &now);
        assert!(open.is_empty(), "fires once");
        assert!(resolve.is_empty());
        let (open, resolve) = reconcile(&unresolved, &[]);
        assert!(open.is_empty());
        assert_eq!(resolve, unresolved);
    }

    #[test]
    fn the_same_subject_under_another_rule_is_another_alert() {
        let unresolved = [(AlertRule::TenantBroken, "t1".to_owned())];
        let now = [
            holds(AlertRule::TenantBroken, "t1"),
            holds(AlertRule::BaselineFailing, "t1"),
        ];
        let (open, resolve) = reconcile(&unresolved, &now);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].rule, AlertRule::BaselineFailing);
        assert!(resolve.is_empty());
    }

    #[test]
    fn every_rule_has_a_stored_form_a_runbook_and_a_sane_threshold() {
        for rule in AlertRule::ALL {
            assert_eq!(AlertRule::parse(rule.as_str()), Some(rule));
            assert!(rule.runbook().ends_with(&format!("{}.md", rule.as_str())));
            if let Some((_, default)) = rule.threshold() {
                assert_eq!(parse_threshold(&default.to_string()), Ok(default));
            }
        }
        assert!(parse_threshold("0").is_err());
        assert!(parse_threshold("ten").is_err());
    }

    #[test]
    fn every_rule_has_a_runbook_file() {
        for rule in AlertRule::ALL {
            let path = format!("{}/../{}", env!("CARGO_MANIFEST_DIR"), rule.runbook());
            assert!(
                std::path::Path::new(&path).exists(),
                "{} is missing",
                rule.runbook()
            );
        }
    }
}
