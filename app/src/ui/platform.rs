//! Platform: the dashboard, the job engine's queue, alerts and service levels.

pub mod alerts_page;
pub mod dashboard_page;
pub mod jobs_page;
pub mod service_levels_page;
