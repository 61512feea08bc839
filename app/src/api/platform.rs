//! Platform: the dashboard.

pub mod dashboard;
