//! Server functions: thin. Each resolves the principal from the session,
//! parses its arguments, calls one service and maps the result to a DTO.

pub mod audit;
pub mod changes;
pub mod deployments;
pub mod events;
pub mod notifications;
pub mod rollouts;
pub mod tenants;

pub mod access;
#[cfg(feature = "ssr")]
pub mod context;
pub mod plans;
pub mod platform;
pub mod releases;
