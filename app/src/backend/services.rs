//! Use cases. Every function takes the acting principal (or actor) first,
//! checks permission, applies domain rules and writes entities together with
//! their audit record in one transaction.

pub mod access;
pub mod audit;
pub mod changes;
pub mod deployments;
pub mod events;
pub mod manifests;
pub mod notifications;
pub mod plans;
pub mod platform;
pub mod releases;
pub mod rollouts;
pub mod tenants;
