//! Platform contracts: the dashboard.

pub mod dashboard;
