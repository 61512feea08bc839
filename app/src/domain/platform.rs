//! Platform rules: the durable job engine's states, and the built-in alert rules.

pub mod alerts;
pub mod job;
