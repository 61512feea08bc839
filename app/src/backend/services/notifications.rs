//! Notifications: end-of-life notices and the in-app inbox, each person's preferences, and the durable email queue.

pub mod digests;
pub mod email_outbox;
pub mod from_events;
pub mod notices;
pub mod notification_prefs;
