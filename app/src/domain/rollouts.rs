//! Rollout rules: waves, concurrency and halting.

pub mod rollout;
