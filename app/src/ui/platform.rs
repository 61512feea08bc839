//! Platform: the dashboard and the job engine's queue.

pub mod alerts_page;
pub mod dashboard_page;
pub mod jobs_page;
