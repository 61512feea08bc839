//! The contracts: every type that crosses the wire between the browser, the
//! REST API and the server, compiled for both targets. Services take and return
//! these (never `api` or `ui` types); `api` re-exports them for the pages.

pub mod access;
pub mod audit;
pub mod changes;
pub mod deployments;
pub mod notifications;
pub mod platform;
pub mod releases;
pub mod rollouts;
pub mod tenants;
