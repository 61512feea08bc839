//! Notification rules: kinds, preferences and email messages.

pub mod email;
pub mod notification;
