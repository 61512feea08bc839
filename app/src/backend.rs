//! Server-only code: entities, services (the only door to the data), session
//! storage and password hashing. Nothing here knows about HTTP.

pub mod audit;
pub mod backup_store;
pub mod columns;
pub mod context;
pub mod crypto;
pub mod csv_export;
pub mod db;
pub mod entities;
pub mod error;
pub mod events;
pub mod executor;
pub mod jobs;
pub mod log_context;
pub mod mail;
pub mod metrics;
pub mod orchestrator;
pub mod outbound;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod secret;
pub mod services;
pub mod session;
pub mod session_store;
pub mod state;
pub mod traffic;
