//! Releases: the catalog, the compliance dashboard and report, version policies with grace extensions.

pub mod catalog_page;
pub mod compliance_page;
pub mod policies_page;
