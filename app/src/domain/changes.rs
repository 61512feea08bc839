//! Change rules: kinds, models and states, approval decisions, windows and blackouts.

pub mod change;
pub mod decision;
// Needs the IANA zone database (chrono-tz), which stays out of the wasm bundle.
#[cfg(feature = "ssr")]
pub mod schedule;
