//! Platform rules: the durable job engine's states, the built-in alert
//! rules and the service-level objectives.

pub mod alerts;
pub mod job;
pub mod slo;
