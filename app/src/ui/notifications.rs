//! Notifications: the inbox, each person's preferences and the email outbox.

pub mod inbox_page;
pub mod notifications_page;
pub mod outbox_page;
pub mod webhook_page;
pub mod webhooks_page;
