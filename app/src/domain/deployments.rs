//! Deployment rules: blue-green switches and health baselines.

pub mod bluegreen;
pub mod health;
