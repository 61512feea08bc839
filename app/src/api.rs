//! Server functions: thin. Each resolves the principal from the session,
//! parses its arguments, calls one service and maps the result to a DTO.

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

#[cfg(feature = "ssr")]
pub mod context;
