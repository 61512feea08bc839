//! Tenant rules: identity and attributes, lifecycle, configuration, endpoints' agents and saved filters, and trouble.

pub mod agent;
pub mod backup;
pub mod cloud;
pub mod config;
pub mod health;
pub mod lifecycle;
pub mod migration;
pub mod offboarding;
pub mod restore_test;
pub mod saved_filter;
pub mod secret_rotation;
pub mod tenant;
pub mod trouble;
