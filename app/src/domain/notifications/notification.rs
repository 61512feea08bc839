//! What people can be notified about, and on which channels. Later features
//! (EOL notices, approvals, rollouts) ask `Preferences::wants` before sending.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    EolNotice,
    ApprovalRequested,
    ChangeFinished,
    RolloutProblem,
    SecurityAlert,
    UpdateScheduled,
    WebhookDisabled,
    UpdateAvailable,
    UpdateStatus,
    Alert,
    LicenceNotice,
    QuotaWarning,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Email,
    InApp,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 12] = [
        Self::UpdateAvailable,
        Self::EolNotice,
        Self::UpdateScheduled,
        Self::UpdateStatus,
        Self::ApprovalRequested,
        Self::ChangeFinished,
        Self::RolloutProblem,
        Self::SecurityAlert,
        Self::WebhookDisabled,
        Self::Alert,
        Self::LicenceNotice,
        Self::QuotaWarning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EolNotice => "eol_notice",
            Self::ApprovalRequested => "approval_requested",
            Self::ChangeFinished => "change_finished",
            Self::RolloutProblem => "rollout_problem",
            Self::SecurityAlert => "security_alert",
            Self::UpdateScheduled => "update_scheduled",
            Self::WebhookDisabled => "webhook_disabled",
            Self::UpdateAvailable => "update_available",
            Self::UpdateStatus => "update_status",
            Self::Alert => "alert",
            Self::LicenceNotice => "licence_notice",
            Self::QuotaWarning => "quota_warning",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::EolNotice => "End-of-life notices",
            Self::ApprovalRequested => "Changes waiting for my approval",
            Self::ChangeFinished => "Changes finished (succeeded or failed)",
            Self::RolloutProblem => "Rollouts paused or rolled back",
            Self::SecurityAlert => "Security alerts about my account",
            Self::UpdateScheduled => "Updates scheduled for my tenant (auto-update)",
            Self::WebhookDisabled => "My webhook endpoints disabled after failures",
            Self::UpdateAvailable => "New releases for the products my tenants run",
            Self::UpdateStatus => "Update progress (started, each step and wave)",
            Self::Alert => "Platform alerts (tenant broken, rollout halted, dead jobs…)",
            Self::LicenceNotice => "Licences expiring, expired, revoked or renewed",
            Self::QuotaWarning => "Usage at 80 % or 100 % of a quota",
        }
    }

    /// Security alerts always reach the inbox; email stays the person's choice.
    pub fn in_app_is_mandatory(self) -> bool {
        matches!(self, Self::SecurityAlert)
    }

    /// Until someone chooses: everything in the app; email for what needs action.
    pub fn default_for(self, channel: Channel) -> bool {
        match channel {
            Channel::InApp => true,
            Channel::Email => matches!(
                self,
                Self::EolNotice
                    | Self::LicenceNotice
                    | Self::QuotaWarning
                    | Self::UpdateAvailable
                    | Self::UpdateScheduled
                    | Self::ApprovalRequested
                    | Self::SecurityAlert
                    | Self::WebhookDisabled
                    | Self::Alert
            ),
        }
    }
}

/// Who hears about an event, by the event's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Whoever may approve changes on the event's tenant, but not its actor.
    Approvers,
    /// Whoever asked for the change, and the tenant's own people.
    RequesterAndTenant,
    /// Whoever planned the rollout.
    RolloutOwner,
    /// The person who acted (their own account's security).
    Actor,
    /// Whoever created the webhook endpoint.
    EndpointOwner,
    /// The vendor's people who run changes platform-wide.
    PlatformOperators,
    /// The people of each tenant that runs an older version of the
    /// release's product.
    TenantsRunningProduct,
}

/// The notification an event makes, and for whom: every kind a person can
/// choose in Settings is driven by an event. `change_status` and
/// `change_kind` are the change's after the event (a request waiting for
/// approval notifies approvers; only updates report their progress).
pub fn for_event(
    event_type: &str,
    change_status: Option<&str>,
    change_kind: Option<&str>,
) -> Option<(NotificationKind, Audience)> {
    use Audience as A;
    use NotificationKind as K;
    let is_update = matches!(change_kind, Some("upgrade" | "patch"));
    Some(match event_type {
        "change.started" | "change.step_finished" if is_update => {
            (K::UpdateStatus, A::RequesterAndTenant)
        }
        "rollout.started" | "rollout.wave_advanced" | "rollout.completed" => {
            (K::UpdateStatus, A::RolloutOwner)
        }
        "release.published" => (K::UpdateAvailable, A::TenantsRunningProduct),
        "compliance.forced_upgrade_scheduled" => (K::UpdateScheduled, A::RequesterAndTenant),
        "compliance.grace_expiring" => (K::EolNotice, A::RequesterAndTenant),
        "change.requested" if change_status == Some("pending_approval") => {
            (K::ApprovalRequested, A::Approvers)
        }
        "change.succeeded" | "change.failed" | "change.rolled_back" => {
            (K::ChangeFinished, A::RequesterAndTenant)
        }
        "rollout.halted" | "rollout.paused" => (K::RolloutProblem, A::RolloutOwner),
        "security.two_factor_changed"
        | "security.api_token_created"
        | "security.new_sign_in_address" => (K::SecurityAlert, A::Actor),
        "webhook.endpoint_disabled" => (K::WebhookDisabled, A::EndpointOwner),
        "alert.fired" => (K::Alert, A::PlatformOperators),
        "licence.expiring" | "licence.expired" | "licence.revoked" | "licence.renewed" => {
            (K::LicenceNotice, A::RequesterAndTenant)
        }
        "quota.near" | "quota.exceeded" => (K::QuotaWarning, A::RequesterAndTenant),
        _ => return None,
    })
}

/// A newer release of a product a tenant runs, as its people are told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateOffer<'a> {
    pub product: &'a str,
    pub tenant: &'a str,
    pub running: &'a str,
    pub available: &'a str,
    /// When the running version reaches end of life, if it does.
    pub running_end_of_life: Option<chrono::NaiveDate>,
    /// Why upgrading is required (the version policy's verdict on the
    /// running version), or `None` when it is optional.
    pub required_because: Option<&'a str>,
}

/// Title and body of an "update available" notification; `None` when the
/// release is not newer than what the tenant runs (semantic versions).
pub fn update_available_text(offer: &UpdateOffer) -> Option<(String, String)> {
    let running = semver::Version::parse(offer.running).ok()?;
    let available = semver::Version::parse(offer.available).ok()?;
    if available <= running {
        return None;
    }
    let jump = if available.major != running.major {
        "a major upgrade"
    } else if available.minor != running.minor {
        "a minor upgrade"
    } else {
        "a patch"
    };
    let title = format!(
        "{} {} is available for {} (runs {})",
        offer.product, offer.available, offer.tenant, offer.running
    );
    let mut body = format!(
        "{} {} was published: {jump} from {} for {}.",
        offer.product, offer.available, offer.running, offer.tenant
    );
    if let Some(eol) = offer.running_end_of_life {
        body.push_str(&format!(" {} reaches end of life on {eol}.", offer.running));
    }
    match offer.required_because {
        Some(reason) => body.push_str(&format!(" Upgrading is required: {reason}")),
        None => body
            .push_str(" Upgrading is optional: the running version is within the version policy."),
    }
    Some((title, body))
}

/// One person's choices; kinds they never chose use the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub chosen: Vec<(NotificationKind, bool, bool)>,
}

impl Preferences {
    pub fn wants(&self, kind: NotificationKind, channel: Channel) -> bool {
        if channel == Channel::InApp && kind.in_app_is_mandatory() {
            return true;
        }
        match self.chosen.iter().find(|(k, ..)| *k == kind) {
            Some((_, email, in_app)) => match channel {
                Channel::Email => *email,
                Channel::InApp => *in_app,
            },
            None => kind.default_for(channel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_until_someone_chooses() {
        let none = Preferences::default();
        assert!(none.wants(NotificationKind::EolNotice, Channel::Email));
        assert!(!none.wants(NotificationKind::ChangeFinished, Channel::Email));
        let chosen = Preferences {
            chosen: vec![(NotificationKind::EolNotice, false, false)],
        };
        assert!(!chosen.wants(NotificationKind::EolNotice, Channel::Email));
        assert!(!chosen.wants(NotificationKind::EolNotice, Channel::InApp));
    }

    #[test]
    fn security_alerts_always_reach_the_inbox() {
        let chosen = Preferences {
            chosen: vec![(NotificationKind::SecurityAlert, false, false)],
        };
        assert!(chosen.wants(NotificationKind::SecurityAlert, Channel::InApp));
        assert!(!chosen.wants(NotificationKind::SecurityAlert, Channel::Email));
    }

    #[test]
    fn every_kind_a_person_can_choose_is_driven_by_an_event() {
        assert_eq!(
            for_event("change.requested", Some("pending_approval"), None),
            Some((NotificationKind::ApprovalRequested, Audience::Approvers))
        );
        assert_eq!(for_event("change.requested", Some("scheduled"), None), None);
        assert_eq!(
            for_event("change.rolled_back", None, None).map(|(k, _)| k),
            Some(NotificationKind::ChangeFinished)
        );
        assert_eq!(
            for_event("rollout.halted", None, None).map(|(k, _)| k),
            Some(NotificationKind::RolloutProblem)
        );
        assert_eq!(
            for_event("security.api_token_created", None, None),
            Some((NotificationKind::SecurityAlert, Audience::Actor))
        );
        assert_eq!(
            for_event("webhook.endpoint_disabled", None, None).map(|(k, _)| k),
            Some(NotificationKind::WebhookDisabled)
        );
        assert_eq!(for_event("tenant.updated", None, None), None);
        assert_eq!(
            for_event(
                "compliance.forced_upgrade_scheduled",
                Some("scheduled"),
                Some("upgrade")
            ),
            Some((
                NotificationKind::UpdateScheduled,
                Audience::RequesterAndTenant
            ))
        );
        assert_eq!(
            for_event("compliance.grace_expiring", None, None).map(|(k, _)| k),
            Some(NotificationKind::EolNotice)
        );
        assert_eq!(
            for_event("security.new_sign_in_address", None, None),
            Some((NotificationKind::SecurityAlert, Audience::Actor))
        );
        assert_eq!(
            for_event("release.published", None, None),
            Some((
                NotificationKind::UpdateAvailable,
                Audience::TenantsRunningProduct
            ))
        );
        // Update progress: an upgrade's steps, not a suspension's.
        assert_eq!(
            for_event("change.step_finished", Some("running"), Some("upgrade")),
            Some((NotificationKind::UpdateStatus, Audience::RequesterAndTenant))
        );
        assert_eq!(
            for_event("change.step_finished", Some("running"), Some("suspend")),
            None
        );
        assert_eq!(
            for_event("rollout.wave_advanced", None, None),
            Some((NotificationKind::UpdateStatus, Audience::RolloutOwner))
        );
    }

    #[test]
    fn kinds_round_trip_through_their_keys() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn an_update_offer_says_the_jump_the_end_of_life_and_whether_it_is_required() {
        let offer = UpdateOffer {
            product: "Edge Gateway",
            tenant: "Acme",
            running: "5.1.0",
            available: "5.3.0",
            running_end_of_life: chrono::NaiveDate::from_ymd_opt(2027, 1, 31),
            required_because: None,
        };
        let (title, body) = update_available_text(&offer).unwrap();
        assert_eq!(
            title,
            "Edge Gateway 5.3.0 is available for Acme (runs 5.1.0)"
        );
        assert_eq!(
            body,
            "Edge Gateway 5.3.0 was published: a minor upgrade from 5.1.0 for Acme. 5.1.0 reaches end of life on 2027-01-31. Upgrading is optional: the running version is within the version policy."
        );
        let required = UpdateOffer {
            available: "6.0.0",
            running_end_of_life: None,
            required_because: Some("5.1.0 is below the policy's minimum 5.2.0."),
            ..offer.clone()
        };
        let (_, body) = update_available_text(&required).unwrap();
        assert!(body.contains("a major upgrade"), "{body}");
        assert!(
            body.ends_with("Upgrading is required: 5.1.0 is below the policy's minimum 5.2.0.")
        );
        // Nothing to offer when the tenant already runs it or something newer.
        assert_eq!(
            update_available_text(&UpdateOffer {
                available: "5.1.0",
                ..offer.clone()
            }),
            None
        );
        assert_eq!(
            update_available_text(&UpdateOffer {
                available: "5.0.9",
                ..offer
            }),
            None
        );
    }
}
