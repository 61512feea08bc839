//! Change requests and their approvals, staged rollouts over many tenants,
//! and the job queue that executes them.

pub mod approvals_page;
pub mod change_page;
pub mod changes_page;
pub mod decide_form;
pub mod delay_requests;
pub mod jobs_page;
pub mod rollout_page;
pub mod rollouts_page;
