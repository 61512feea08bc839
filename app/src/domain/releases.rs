//! Release rules: the catalog and version compliance.

pub mod catalog;
pub mod compliance;
