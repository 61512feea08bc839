//! Pure rules: no IO, no database, no web types. Compiles for wasm too.

pub mod access;
pub mod changes;
pub mod deployments;
pub mod events;
// Needs the IANA zone database and a YAML reader: server only.
#[cfg(feature = "ssr")]
pub mod manifests;
pub mod network;
pub mod notifications;
pub mod plans;
pub mod platform;
pub mod releases;
pub mod rollouts;
pub mod tenants;
pub mod untrusted;
pub mod validation;
