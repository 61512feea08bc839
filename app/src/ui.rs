//! Pages (one module per screen) and reusable components.

pub mod access;
pub mod app;
pub mod audit;
pub mod changes;
pub mod components;
pub mod deployments;
pub mod layout;
pub mod notifications;
pub mod plans;
pub mod platform;
pub mod releases;
pub mod rollouts;
pub mod settings;
pub mod tenants;
