//! Releases: the catalog, compliance and version policies.

pub mod catalog;
pub mod compliance;
pub mod policies;
