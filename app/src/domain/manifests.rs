//! Declarative tenants: a tenant described as a manifest (`apiVersion:
//! tenantry/v1`, `kind: Tenant`), read from YAML or JSON with every problem
//! named by its path, compared field by field with another manifest, and
//! turned into the ordered actions that would make the tenant match it.
//!
//! Server only: the validation of windows and blackouts needs the IANA zone
//! database, and no page parses YAML in the browser.

pub mod diff;
pub mod manifest;
pub mod plan;
