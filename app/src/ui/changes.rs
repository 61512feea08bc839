//! Change requests, their approvals and delays.

pub mod approvals_page;
pub mod change_page;
pub mod changes_page;
pub mod decide_form;
pub mod delay_requests;
