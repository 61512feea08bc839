//! Platform rules: the durable job engine's states.

pub mod job;
