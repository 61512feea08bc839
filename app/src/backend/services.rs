//! Use cases. Every function takes the acting principal (or actor) first,
//! checks permission, applies domain rules and writes entities together with
//! their audit record in one transaction.

pub mod accounts;
pub mod agents;
pub mod api_tokens;
pub mod assignments;
pub mod audit_log;
pub mod auth;
pub mod catalog;
pub mod changes;
pub mod compliance;
pub mod dashboard;
pub mod delays;
pub mod deployments;
pub mod email_outbox;
pub mod jobs_admin;
pub mod login_throttle;
pub mod notices;
pub mod notification_prefs;
pub mod policies;
pub mod roles;
pub mod rollouts;
pub mod saved_filters;
pub mod secrets_at_rest;
pub mod seed;
pub mod tenant_config;
pub mod tenant_versions;
pub mod tenants;
pub mod two_factor;
pub mod update_policy;
pub mod users;
pub mod work;
