//! Platform: the dashboard, alerts and service levels.

pub mod alerts;
pub mod dashboard;
pub mod service_levels;
