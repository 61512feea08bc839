//! The contracts: every type that crosses the wire between the browser, the
//! REST API and the server, compiled for both targets. Services take and return
//! these (never `api` or `ui` types); `api` re-exports them for the pages.

pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod changes;
pub mod compliance;
pub mod dashboard;
pub mod deployments;
pub mod endpoints;
pub mod notifications;
pub mod policies;
pub mod roles;
pub mod rollouts;
pub mod tenants;
pub mod two_factor;
pub mod users;
