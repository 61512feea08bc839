//! Pages (one module per screen) and reusable components.

pub mod app;
pub mod audit;
pub mod auth;
pub mod changes;
pub mod compliance;
pub mod components;
pub mod dashboard;
pub mod deployments;
pub mod layout;
pub mod settings;
pub mod tenants;
pub mod users;
