//! Pure rules: no IO, no database, no web types. Compiles for wasm too.

pub mod agent;
pub mod api_token;
pub mod authority;
pub mod bluegreen;
pub mod catalog;
pub mod change;
pub mod compliance;
pub mod config;
pub mod credentials;
pub mod decision;
pub mod email;
pub mod health;
pub mod invitation;
pub mod lifecycle;
pub mod network;
pub mod notification;
pub mod permission;
pub mod rollout;
pub mod saved_filter;
// Needs the IANA zone database (chrono-tz), which stays out of the wasm bundle.
#[cfg(feature = "ssr")]
pub mod schedule;
pub mod tenant;
pub mod throttle;
pub mod untrusted;
pub mod validation;
