//! Notification rules: kinds, preferences and email messages.

// Needs the IANA zone database (chrono-tz), which stays out of the wasm bundle.
#[cfg(feature = "ssr")]
pub mod digest;
pub mod email;
pub mod notification;
