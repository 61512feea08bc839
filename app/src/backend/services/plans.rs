//! Plans: the vendor's catalogue, each tenant's effective limits (plan plus
//! audited overrides) beside its usage, the checks made where a counted
//! thing is created or a flagged feature is used, and plan changes, which
//! are change requests.

pub mod catalog;
pub mod licences;
pub mod limits;
pub mod plan_change;
pub mod usage;
