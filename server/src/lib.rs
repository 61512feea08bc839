//! The Tenantry server: configuration, the HTTP router (pages, server
//! functions, health), and start-up. `main.rs` is only the CLI on top.

pub mod client;
pub mod config;
pub mod demo;
pub mod exports;
pub mod metrics;
pub mod rest;
pub mod router;
pub mod runbooks;
pub mod startup;
pub mod telemetry;
