//! Platform contracts: the dashboard and alerts.

pub mod alerts;
pub mod dashboard;
