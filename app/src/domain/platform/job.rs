//! Where a durable job stands, and what an operator may do with it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum JobStatus {
    Queued,
    /// Claimed under a lease by one worker.
    Running,
    /// Failed at least once and waiting for its next attempt.
    Retrying,
    Succeeded,
    /// Out of attempts.
    Dead,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        Self::Queued,
        Self::Running,
        Self::Retrying,
        Self::Succeeded,
        Self::Dead,
        Self::Cancelled,
    ];

    /// Jobs a retry puts back in the queue.
    pub const RETRYABLE: [JobStatus; 3] = [Self::Dead, Self::Retrying, Self::Cancelled];

    /// Jobs a cancel stops (a running one loses its lease at its next step).
    pub const CANCELLABLE: [JobStatus; 4] =
        [Self::Queued, Self::Retrying, Self::Running, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Retrying => "retrying",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn can_retry(self) -> bool {
        Self::RETRYABLE.contains(&self)
    }

    pub fn can_cancel(self) -> bool {
        Self::CANCELLABLE.contains(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_word_and_nothing_else_does() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("finished"), None);
    }

    #[test]
    fn a_finished_job_can_be_neither_retried_nor_cancelled() {
        assert!(!JobStatus::Succeeded.can_retry());
        assert!(!JobStatus::Succeeded.can_cancel());
        assert!(JobStatus::Dead.can_retry() && JobStatus::Dead.can_cancel());
        assert!(!JobStatus::Running.can_retry() && JobStatus::Running.can_cancel());
    }
}
