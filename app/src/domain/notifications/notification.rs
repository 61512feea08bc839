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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Email,
    InApp,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 7] = [
        Self::EolNotice,
        Self::UpdateScheduled,
        Self::ApprovalRequested,
        Self::ChangeFinished,
        Self::RolloutProblem,
        Self::SecurityAlert,
        Self::WebhookDisabled,
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
                    | Self::UpdateScheduled
                    | Self::ApprovalRequested
                    | Self::SecurityAlert
                    | Self::WebhookDisabled
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
}

/// The notification an event makes, and for whom: every kind a person can
/// choose in Settings is driven by an event. `change_status` is the change's
/// status after the event (a request waiting for approval notifies approvers).
pub fn for_event(
    event_type: &str,
    change_status: Option<&str>,
) -> Option<(NotificationKind, Audience)> {
    use Audience as A;
    use NotificationKind as K;
    Some(match event_type {
        "change.requested" if change_status == Some("pending_approval") => {
            (K::ApprovalRequested, A::Approvers)
        }
        "change.succeeded" | "change.failed" | "change.rolled_back" => {
            (K::ChangeFinished, A::RequesterAndTenant)
        }
        "rollout.halted" | "rollout.paused" => (K::RolloutProblem, A::RolloutOwner),
        "security.two_factor_changed" | "security.api_token_created" => {
            (K::SecurityAlert, A::Actor)
        }
        "webhook.endpoint_disabled" => (K::WebhookDisabled, A::EndpointOwner),
        _ => return None,
    })
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
            for_event("change.requested", Some("pending_approval")),
            Some((NotificationKind::ApprovalRequested, Audience::Approvers))
        );
        assert_eq!(for_event("change.requested", Some("scheduled")), None);
        assert_eq!(
            for_event("change.rolled_back", None).map(|(k, _)| k),
            Some(NotificationKind::ChangeFinished)
        );
        assert_eq!(
            for_event("rollout.halted", None).map(|(k, _)| k),
            Some(NotificationKind::RolloutProblem)
        );
        assert_eq!(
            for_event("security.api_token_created", None),
            Some((NotificationKind::SecurityAlert, Audience::Actor))
        );
        assert_eq!(
            for_event("webhook.endpoint_disabled", None).map(|(k, _)| k),
            Some(NotificationKind::WebhookDisabled)
        );
        assert_eq!(for_event("tenant.updated", None), None);
    }

    #[test]
    fn kinds_round_trip_through_their_keys() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
    }
}
