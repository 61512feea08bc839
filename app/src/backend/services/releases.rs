//! Releases: the catalog of products and releases, what each tenant licenses and runs, version policies and compliance.

pub mod catalog;
pub mod compliance;
pub mod policies;
pub mod tenant_versions;
