//! Rollouts: staged rollouts and their waves.

pub mod rollout_page;
pub mod rollouts_page;
