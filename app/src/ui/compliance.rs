//! Releases and compliance: the catalog, the compliance dashboard and report,
//! version policies with grace extensions, and the in-app notification inbox.

pub mod catalog_page;
pub mod compliance_page;
pub mod inbox_page;
pub mod policies_page;
