//! Times as the screens show them: UTC, to the minute.

use chrono::{DateTime, Utc};

/// `2026-11-27 14:05 UTC`
pub fn utc(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// [`utc`], or a dash when there is no time.
pub fn utc_or_dash(at: Option<&DateTime<Utc>>) -> String {
    at.map_or_else(|| "—".to_owned(), utc)
}
