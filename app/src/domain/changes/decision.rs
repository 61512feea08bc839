//! One parser for every approve-or-reject answer: change requests, grace
//! extensions and delay requests all take the same words and the same rule
//! (a refusal says why, because the person who asked reads it).

use serde::{Deserialize, Serialize};

use crate::domain::validation::{FieldError, FieldErrors};

/// Where something someone asked for stands (a grace extension, a delay
/// beyond a tenant's own limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 3] = [Self::Pending, Self::Approved, Self::Denied];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Approved => "Approved",
            Self::Denied => "Denied",
        }
    }

    /// The badge tone a page gives it.
    pub fn tone(self) -> &'static str {
        match self {
            Self::Pending => "tone-attention",
            Self::Approved => "tone-success",
            Self::Denied => "tone-danger",
        }
    }
}

/// What asking to delay a change did: moved it at once (within the tenant's
/// limit), or asked the vendor's approvers (beyond it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DelayResult {
    Delayed,
    Requested,
}

/// What an approver answered on a change, as its decision log keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ChangeDecision {
    Approved,
    Rejected,
}

impl ChangeDecision {
    pub const ALL: [ChangeDecision; 2] = [Self::Approved, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
        }
    }
}

/// Yes or no to something someone asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    /// `approve`/`approved` or `reject`/`rejected`/`deny`/`denied` (forms send
    /// the verb, the API also accepts the state); nothing else.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "approve" | "approved" => Some(Self::Approve),
            "reject" | "rejected" | "deny" | "denied" => Some(Self::Reject),
            _ => None,
        }
    }
}

/// A verdict with its comment: a rejection must say why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub comment: Option<String>,
}

impl Decision {
    pub fn parse(decision: &str, comment: &str) -> Result<Self, FieldErrors> {
        let comment = comment.trim();
        let Some(verdict) = Verdict::parse(decision) else {
            return Err(FieldErrors(vec![FieldError::new(
                "decision",
                "Choose approve or reject.",
            )]));
        };
        if verdict == Verdict::Reject && comment.is_empty() {
            return Err(FieldErrors(vec![FieldError::new(
                "comment",
                "Say why you reject it; the person who asked sees the reason.",
            )]));
        }
        Ok(Self {
            verdict,
            comment: (!comment.is_empty()).then(|| comment.to_owned()),
        })
    }

    pub fn approves(&self) -> bool {
        self.verdict == Verdict::Approve
    }

    /// What the request becomes once decided.
    pub fn outcome(&self) -> RequestStatus {
        if self.approves() {
            RequestStatus::Approved
        } else {
            RequestStatus::Denied
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_settles_a_pending_request_one_way_or_the_other() {
        let yes = Decision::parse("approve", "").unwrap();
        let no = Decision::parse("reject", "too long").unwrap();
        assert_eq!(yes.outcome(), RequestStatus::Approved);
        assert_eq!(no.outcome(), RequestStatus::Denied);
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(RequestStatus::parse("maybe"), None);
        for decision in ChangeDecision::ALL {
            assert_eq!(ChangeDecision::parse(decision.as_str()), Some(decision));
        }
        assert_eq!(ChangeDecision::parse("approve"), None);
    }

    #[test]
    fn the_verb_and_the_state_both_parse_and_nothing_else_does() {
        for raw in ["approve", "approved", " Approve "] {
            assert_eq!(Verdict::parse(raw), Some(Verdict::Approve), "{raw}");
        }
        for raw in ["reject", "rejected", "deny", "denied"] {
            assert_eq!(Verdict::parse(raw), Some(Verdict::Reject), "{raw}");
        }
        for raw in ["", "yes", "approve;reject", "ok"] {
            assert_eq!(Verdict::parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn an_approval_needs_no_comment_and_keeps_one_given() {
        let bare = Decision::parse("approve", "  ").unwrap();
        assert!(bare.approves());
        assert_eq!(bare.comment, None);
        let said = Decision::parse("approve", " fine ").unwrap();
        assert_eq!(said.comment.as_deref(), Some("fine"));
    }

    #[test]
    fn a_rejection_without_a_reason_is_a_comment_error() {
        let errors = Decision::parse("deny", " ").unwrap_err();
        assert!(
            errors
                .for_field("comment")
                .is_some_and(|m| m.starts_with("Say why"))
        );
        let rejected = Decision::parse("reject", "Upgrade first").unwrap();
        assert!(!rejected.approves());
        assert_eq!(rejected.comment.as_deref(), Some("Upgrade first"));
    }

    #[test]
    fn an_unknown_word_is_a_decision_error() {
        let errors = Decision::parse("maybe", "").unwrap_err();
        assert!(errors.for_field("decision").is_some());
    }
}
