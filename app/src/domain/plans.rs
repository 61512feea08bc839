//! Plans: what a tenant's plan lets it have (feature flags) and how much of
//! it (quotas), the vendor's per-tenant overrides, the checks made where a
//! thing is created against what the tenant already uses, and licences
//! (templates, assignments, their status and the signed document).

pub mod licence;
pub mod limits;
pub mod plan;
pub mod usage;
