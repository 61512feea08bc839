//! The event catalogue: what the portal tells its subscribers (the pull API,
//! webhooks, notifications), one versioned type per thing that happened, and
//! which audit records announce which events. Plain data, no I/O.

use serde::{Deserialize, Serialize};

pub mod webhooks;

/// One type of event in the catalogue. `version` moves when the payload's
/// shape changes incompatibly; consumers match on (name, version).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventType {
    /// `resource.what_happened`, e.g. `change.succeeded`.
    pub name: &'static str,
    pub version: u32,
    /// The kind of resource whose state after the change the event carries.
    pub resource: &'static str,
    pub description: &'static str,
}

const fn event(name: &'static str, resource: &'static str, description: &'static str) -> EventType {
    EventType {
        name,
        version: 1,
        resource,
        description,
    }
}

/// Every event the portal emits, grouped by resource.
pub const CATALOGUE: &[EventType] = &[
    event(
        "tenant.created",
        "tenant",
        "A tenant was onboarded (as a draft).",
    ),
    event(
        "tenant.updated",
        "tenant",
        "A tenant's details, configuration, products or address changed.",
    ),
    event(
        "tenant.state_changed",
        "tenant",
        "A tenant's lifecycle state changed (the data carries from and to).",
    ),
    event(
        "tenant.deleted",
        "tenant",
        "A tenant was deleted; its audit trail stays.",
    ),
    event(
        "tenant.access_revoked",
        "tenant",
        "An archived or deleted tenant's tokens and agent credentials were revoked.",
    ),
    event(
        "tenant.offboarding_started",
        "tenant",
        "A tenant's offboarding began: its contacts were sent the notice, its data export written, its access revoked and its clean-up asked of the executor.",
    ),
    event(
        "tenant.offboarding_retained",
        "tenant",
        "An offboarded tenant was cleaned up and archived: the data carries the date its retention ends.",
    ),
    event(
        "tenant.deletion_held",
        "tenant",
        "An offboarded tenant's retention ended but a legal hold stands: nothing is deleted until it is lifted.",
    ),
    event(
        "tenant.destroyed",
        "tenant",
        "A deleted tenant's data was destroyed: the data carries the certificate of destruction's id and SHA-256.",
    ),
    event(
        "tenant.migration_requested",
        "tenant",
        "A tenant's move to another region or isolation mode was asked for: the data carries the placement decision.",
    ),
    event(
        "tenant.migrated",
        "tenant",
        "A migrating tenant was cut over: it serves from its new region or isolation mode (the data carries from and to).",
    ),
    event(
        "tenant.migration_completed",
        "tenant",
        "A tenant's migration ended: its source was cleaned up.",
    ),
    event(
        "tenant.migration_failed",
        "tenant",
        "A tenant's migration failed: rolled back (it stays where it was), failed, or its source was left to clean up (the data carries which).",
    ),
    event(
        "change.requested",
        "change",
        "A change request was created (draft, waiting for approval or scheduled).",
    ),
    event(
        "change.approved",
        "change",
        "A change request was approved.",
    ),
    event(
        "change.rejected",
        "change",
        "A change request was rejected.",
    ),
    event(
        "change.scheduled",
        "change",
        "A change request is scheduled: it starts in its next allowed window.",
    ),
    event(
        "change.started",
        "change",
        "A change request started running.",
    ),
    event(
        "change.step_finished",
        "change",
        "One step of a change finished at the executor (succeeded or failed).",
    ),
    event("change.succeeded", "change", "A change request succeeded."),
    event("change.failed", "change", "A change request failed."),
    event(
        "change.rolled_back",
        "change",
        "A failed update was rolled back: its rollback steps ran.",
    ),
    event(
        "change.cancelled",
        "change",
        "A change request was cancelled.",
    ),
    event(
        "rollout.created",
        "rollout",
        "A staged rollout was planned.",
    ),
    event(
        "rollout.started",
        "rollout",
        "A rollout started its first wave.",
    ),
    event(
        "rollout.wave_advanced",
        "rollout",
        "A rollout moved on to its next wave.",
    ),
    event("rollout.paused", "rollout", "A rollout was paused."),
    event(
        "rollout.halted",
        "rollout",
        "A rollout halted: a wave crossed its error threshold.",
    ),
    event(
        "rollout.completed",
        "rollout",
        "A rollout finished every wave.",
    ),
    event("rollout.aborted", "rollout", "A rollout was aborted."),
    event(
        "deployment.switch_started",
        "deployment",
        "A blue-green switch started on an edge deployment.",
    ),
    event(
        "deployment.step_changed",
        "deployment",
        "A blue-green switch moved traffic to its next weight.",
    ),
    event(
        "deployment.auto_rolled_back",
        "deployment",
        "A blue-green switch rolled back on its own: the new slot's readings or baseline failed.",
    ),
    event(
        "deployment.completed",
        "deployment",
        "A blue-green switch completed: the new slot takes all traffic.",
    ),
    event(
        "deployment.rolled_back",
        "deployment",
        "A blue-green switch was rolled back by a person.",
    ),
    event(
        "compliance.status_changed",
        "compliance_status",
        "A tenant's compliance for one product changed (the data carries from and to); a first assessment that is not compliant counts.",
    ),
    event(
        "compliance.grace_expiring",
        "compliance_status",
        "A tenant past end of life has 7, 3, 1 or 0 days of grace left.",
    ),
    event(
        "compliance.forced_upgrade_scheduled",
        "change",
        "The version policy scheduled a forced upgrade for an end-of-life or non-compliant tenant (the change carries its window).",
    ),
    event(
        "compliance.eol_notice",
        "tenant",
        "An end-of-life notice was sent for a version a tenant runs.",
    ),
    event(
        "release.published",
        "release",
        "A release was published to the catalogue.",
    ),
    event(
        "health.baseline_failed",
        "tenant",
        "A tenant's health baseline failed often enough to make it broken.",
    ),
    event(
        "health.recovered",
        "tenant",
        "A broken tenant's health baseline passed again; it is active.",
    ),
    event(
        "alert.fired",
        "alert",
        "A built-in alert rule's condition started to hold for a subject (the data carries the rule, the subject, its summary and the runbook).",
    ),
    event(
        "alert.acknowledged",
        "alert",
        "Someone acknowledged an open alert (who, when, comment).",
    ),
    event(
        "alert.resolved",
        "alert",
        "An alert's condition stopped holding.",
    ),
    event(
        "security.two_factor_changed",
        "user",
        "A person turned two-factor sign-in on or off for their account.",
    ),
    event(
        "security.new_sign_in_address",
        "user",
        "A person signed in from an address their account had not used before (the data carries the address).",
    ),
    event(
        "security.api_token_created",
        "api_token",
        "A person created an API token.",
    ),
    event(
        "webhook.test",
        "webhook_endpoint",
        "A test event someone sent to one endpoint (only that endpoint receives it).",
    ),
    event(
        "webhook.endpoint_disabled",
        "webhook_endpoint",
        "A webhook endpoint was disabled: its receiver answered 410, or every delivery failed for 5 days.",
    ),
    event(
        "licence.assigned",
        "licence",
        "A licence was assigned to a tenant (its signed document issued).",
    ),
    event(
        "licence.expiring",
        "licence",
        "A tenant's licence ends in 30, 7 or 1 day (the data carries days_left).",
    ),
    event(
        "licence.expired",
        "licence",
        "A tenant's licence ended; the tenant is suspended by a change request unless another licence covers it.",
    ),
    event(
        "licence.revoked",
        "licence",
        "The vendor revoked a tenant's licence; the tenant is suspended by a change request.",
    ),
    event(
        "licence.renewed",
        "licence",
        "A tenant's licence was renewed (a new document); a tenant it had suspended is resumed.",
    ),
    event(
        "secret.rotated",
        "tenant",
        "A tenant secret was rotated (the data names the secret and the change, never a value).",
    ),
    event(
        "backup.completed",
        "backup",
        "A backup of a tenant was written (the data carries its kind, class, location, size and SHA-256).",
    ),
    event(
        "backup.verify_failed",
        "backup",
        "A verify re-read a backup and found its bundle corrupt or missing.",
    ),
    event(
        "backup.pruned",
        "backup",
        "Retention deleted an expired backup's bundle (its record stays).",
    ),
    event(
        "backup.restore_test_passed",
        "backup",
        "A restore test restored a backup into a scratch target, its health baseline passed there and the scratch target was torn down.",
    ),
    event(
        "backup.restore_test_failed",
        "backup",
        "A restore test of a backup failed (the data carries the step and why); its scratch target was torn down.",
    ),
    event(
        "legal_hold.set",
        "tenant",
        "A legal hold was set on a tenant: retention deletes nothing of it until it is lifted.",
    ),
    event(
        "legal_hold.lifted",
        "tenant",
        "A legal hold on a tenant was lifted (the data carries why).",
    ),
    event(
        "usage.recorded",
        "usage",
        "Usage records were stored for a tenant (the data carries how many, the meters and the source).",
    ),
    event(
        "quota.near",
        "quota",
        "A tenant's usage reached 80 % of a quota (once per crossing).",
    ),
    event(
        "quota.exceeded",
        "quota",
        "A tenant's usage reached 100 % of a quota: new ones are refused (once per crossing).",
    ),
];

/// The catalogue entry named `name`.
pub fn event_type(name: &str) -> Option<&'static EventType> {
    CATALOGUE.iter().find(|t| t.name == name)
}

/// The events an audit record announces, given its action and details: the
/// audit trail and the event stream are written together, so every door that
/// audits a mutation also emits its event.
pub fn announced_by(action: &str, details: &serde_json::Value) -> Vec<&'static EventType> {
    let status = details.get("status").and_then(|s| s.as_str());
    let names: &[&str] = match action {
        "tenant.create" => &["tenant.created"],
        "tenant.update"
        | "tenant.plan_changed"
        | "tenant.quota_override"
        | "tenant.config.set"
        | "tenant.config.remove"
        | "tenant.product.set"
        | "tenant.address_set"
        | "tenant.config_restored"
        | "backup.schedule"
        | "secret.schedule" => &["tenant.updated"],
        "tenant.access_revoked" => &["tenant.access_revoked"],
        "change.create"
            if details.get("reason").and_then(|r| r.as_str())
                == Some("schedule_forced_upgrade") =>
        {
            match status {
                Some("scheduled") => &[
                    "change.requested",
                    "change.scheduled",
                    "compliance.forced_upgrade_scheduled",
                ],
                _ => &["change.requested", "compliance.forced_upgrade_scheduled"],
            }
        }
        "change.create" | "change.submit" => match status {
            Some("scheduled") => &["change.requested", "change.scheduled"],
            _ => &["change.requested"],
        },
        "change.approve" => match status {
            Some("scheduled") => &["change.approved", "change.scheduled"],
            _ => &["change.approved"],
        },
        "change.reject" => &["change.rejected"],
        "change.cancel" => &["change.cancelled"],
        "change.start" => &["change.started"],
        "change.succeeded" => &["change.succeeded"],
        "change.failed" => &["change.failed"],
        "change.rolled_back" => &["change.rolled_back"],
        "rollout.create" => &["rollout.created"],
        "rollout.start" => &["rollout.started"],
        "rollout.wave_start" => &["rollout.wave_advanced"],
        "rollout.pause" => &["rollout.paused"],
        "rollout.halt" => &["rollout.halted"],
        "rollout.succeeded" => &["rollout.completed"],
        "rollout.abort" => &["rollout.aborted"],
        "deployment.switch" => &["deployment.switch_started"],
        "deployment.step" => &["deployment.step_changed"],
        "deployment.auto_rollback" => &["deployment.auto_rolled_back"],
        "deployment.complete" | "deployment.promote" => &["deployment.completed"],
        "deployment.rollback" => &["deployment.rolled_back"],
        "eol_notice.send" => &["compliance.eol_notice"],
        "release.publish" => &["release.published"],
        "tenant.health_broken" => &["health.baseline_failed"],
        "tenant.health_recovered" => &["health.recovered"],
        "user.two_factor_enable" | "user.two_factor_disable" => &["security.two_factor_changed"],
        "api_token.create" => &["security.api_token_created"],
        "alert.fire" => &["alert.fired"],
        "alert.acknowledge" => &["alert.acknowledged"],
        "alert.resolve" => &["alert.resolved"],
        "licence.assign" => &["licence.assigned"],
        "licence.expiring" => &["licence.expiring"],
        "licence.expire" => &["licence.expired"],
        "licence.revoke" => &["licence.revoked"],
        "licence.renew" => &["licence.renewed"],
        "usage.record" => &["usage.recorded"],
        "backup.create" => &["backup.completed"],
        "backup.verify" => match details.get("status").and_then(|l| l.as_str()) {
            Some("corrupt" | "missing") => &["backup.verify_failed"],
            _ => &[],
        },
        "backup.prune" => &["backup.pruned"],
        "restore_test.end" => match details.get("status").and_then(|s| s.as_str()) {
            Some("passed") => &["backup.restore_test_passed"],
            Some("failed") => &["backup.restore_test_failed"],
            _ => &[],
        },
        "tenant.secret_rotated" => &["secret.rotated"],
        "legal_hold.set" => &["legal_hold.set"],
        "legal_hold.lift" => &["legal_hold.lifted"],
        "offboarding.start" => &["tenant.offboarding_started"],
        "offboarding.retain" => &["tenant.offboarding_retained"],
        "offboarding.hold" => &["tenant.deletion_held"],
        "tenant.destroy" => &["tenant.destroyed"],
        "migration.request" => &["tenant.migration_requested"],
        "migration.cut_over" => &["tenant.migrated"],
        "migration.end" => match details.get("status").and_then(|s| s.as_str()) {
            Some("completed") => &["tenant.migration_completed"],
            Some("cancelled") => &[],
            _ => &["tenant.migration_failed"],
        },
        "quota.level" => match details.get("level").and_then(|l| l.as_str()) {
            Some("full") => &["quota.exceeded"],
            Some("near") => &["quota.near"],
            _ => &[],
        },
        "auth.login" if details.get("new_address").and_then(|n| n.as_bool()) == Some(true) => {
            &["security.new_sign_in_address"]
        }
        _ => &[],
    };
    names.iter().filter_map(|name| event_type(name)).collect()
}

/// A consumer's filter on event types: exact names, or `resource.*`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeFilter(pub Vec<String>);

impl TypeFilter {
    /// Reads a comma-separated list; every entry must name a catalogue type
    /// or a resource group (`change.*`). Empty means every type.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut wanted = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let known = match entry.strip_suffix(".*") {
                Some(group) => CATALOGUE
                    .iter()
                    .any(|t| t.name.split('.').next() == Some(group)),
                None => event_type(entry).is_some(),
            };
            if !known {
                return Err(format!(
                    "'{entry}' is not an event type; see GET /api/v1/event-types (a group such as change.* works too)."
                ));
            }
            wanted.push(entry.to_owned());
        }
        Ok(Self(wanted))
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|entry| match entry.strip_suffix(".*") {
                Some(group) => name.split('.').next() == Some(group),
                None => entry == name,
            })
    }

    /// The exact type names the filter allows (for a database filter).
    pub fn names(&self) -> Vec<&'static str> {
        CATALOGUE
            .iter()
            .map(|t| t.name)
            .filter(|name| self.matches(name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_catalogue_names_each_type_once_as_resource_dot_event() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|t| t.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
        for t in CATALOGUE {
            let (resource, what) = t.name.split_once('.').unwrap();
            assert!(!resource.is_empty() && !what.is_empty(), "{}", t.name);
            assert!(t.description.ends_with('.'), "{}", t.name);
        }
    }

    #[test]
    fn audit_records_announce_their_events() {
        let names = |action: &str, details| {
            announced_by(action, &details)
                .into_iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("tenant.create", json!({})), ["tenant.created"]);
        assert_eq!(
            names("change.create", json!({ "status": "scheduled" })),
            ["change.requested", "change.scheduled"]
        );
        assert_eq!(
            names("change.create", json!({ "status": "pending_approval" })),
            ["change.requested"]
        );
        assert_eq!(
            names("deployment.auto_rollback", json!({})),
            ["deployment.auto_rolled_back"]
        );
        assert!(names("auth.login", json!({})).is_empty(), "not an event");
        assert_eq!(
            names(
                "change.create",
                json!({ "status": "scheduled", "reason": "schedule_forced_upgrade" })
            ),
            [
                "change.requested",
                "change.scheduled",
                "compliance.forced_upgrade_scheduled"
            ]
        );
        assert_eq!(
            names(
                "auth.login",
                json!({ "client_address": "203.0.113.9", "new_address": true })
            ),
            ["security.new_sign_in_address"]
        );
    }

    #[test]
    fn a_type_filter_takes_names_and_groups_and_refuses_the_unknown() {
        let filter = TypeFilter::parse("change.*, tenant.created").unwrap();
        assert!(filter.matches("change.failed"));
        assert!(filter.matches("tenant.created"));
        assert!(!filter.matches("tenant.updated"));
        assert!(filter.names().contains(&"change.rolled_back"));
        assert!(TypeFilter::parse("").unwrap().matches("release.published"));
        let refused = TypeFilter::parse("change.exploded").unwrap_err();
        assert!(
            refused.contains("'change.exploded' is not an event type"),
            "{refused}"
        );
        assert!(TypeFilter::parse("nothing.*").is_err());
    }
}
