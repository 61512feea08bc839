//! One integration-test binary: services and the HTTP router, each test on a
//! fresh SQLite file and again on a fresh PostgreSQL database.

mod helpers;
mod smtp_sink;

mod access;
mod accounts;
mod audit;
mod auth_http;
mod backups;
mod bluegreen;
mod changes;
mod compliance;
mod control_plane;
mod events;
mod hardening;
mod health;
mod isolation;
mod isolation_objects;
mod manifests;
mod migrations;
mod observability;
mod offboarding;
mod orchestrator;
mod plans;
mod playbook;
mod rest_api;
mod restore_tests;
mod row_security;
mod secrets;
mod service_levels;
mod tenant_health;
mod tenants;
mod users;
mod webhooks;
