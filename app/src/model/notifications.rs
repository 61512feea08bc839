//! What crosses the wire for notifications: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferenceRow {
    pub kind: crate::domain::notifications::notification::NotificationKind,
    pub label: String,
    pub email: bool,
    pub in_app: bool,
    /// In-app delivery cannot be turned off for this kind.
    pub in_app_locked: bool,
}

/// How a person's notification emails go out (Settings → Notifications).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSettingsView {
    /// `at_once`, `daily` or `weekly`.
    pub cadence: String,
    pub hour: u32,
    /// `mon` … `sun`.
    pub weekday: String,
    pub timezone: String,
    /// "daily at 08:00 (Europe/Berlin)".
    pub description: String,
    pub next_digest_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Emails held for the next digest.
    pub pending: u64,
    /// (value, label) of each cadence.
    pub cadences: Vec<(String, String)>,
}

/// One in-app notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: uuid::Uuid,
    pub kind: crate::domain::notifications::notification::NotificationKind,
    pub title: String,
    pub body: String,
    pub link: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub read: bool,
}
