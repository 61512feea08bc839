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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Email,
    InApp,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 6] = [
        Self::EolNotice,
        Self::UpdateScheduled,
        Self::ApprovalRequested,
        Self::ChangeFinished,
        Self::RolloutProblem,
        Self::SecurityAlert,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EolNotice => "eol_notice",
            Self::ApprovalRequested => "approval_requested",
            Self::ChangeFinished => "change_finished",
            Self::RolloutProblem => "rollout_problem",
            Self::SecurityAlert => "security_alert",
            Self::UpdateScheduled => "update_scheduled",
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
            ),
        }
    }
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
    fn kinds_round_trip_through_their_keys() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
    }
}
