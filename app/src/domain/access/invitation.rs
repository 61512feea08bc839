//! Where an invitation stands. Accepted and withdrawn are final; an open
//! invitation expires at its deadline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl InvitationStatus {
    pub fn at(
        accepted_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        if accepted_at.is_some() {
            Self::Accepted
        } else if revoked_at.is_some() {
            Self::Revoked
        } else if expires_at <= now {
            Self::Expired
        } else {
            Self::Pending
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Accepted => "Accepted",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptance_and_withdrawal_are_final_and_open_invitations_expire() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let later = now + chrono::Duration::hours(1);
        let earlier = now - chrono::Duration::hours(1);
        assert_eq!(
            InvitationStatus::at(None, None, later, now),
            InvitationStatus::Pending
        );
        assert_eq!(
            InvitationStatus::at(None, None, now, now),
            InvitationStatus::Expired
        );
        assert_eq!(
            InvitationStatus::at(Some(earlier), None, earlier, now),
            InvitationStatus::Accepted
        );
        assert_eq!(
            InvitationStatus::at(None, Some(earlier), later, now),
            InvitationStatus::Revoked
        );
    }
}
