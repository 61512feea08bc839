//! Platform: what spans every context — the dashboard, the job engine's worker and admin, secrets at rest, and demo data.

pub mod alerts;
pub mod dashboard;
pub mod jobs_admin;
pub mod secrets_at_rest;
pub mod seed;
pub mod service_levels;
pub mod work;
