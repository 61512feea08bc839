//! Tenantry portal: compiled twice — `ssr` for the server binary and `hydrate`
//! for the browser. `domain` is pure and shared by both; `backend` exists only
//! on the server.

pub mod api;
pub mod domain;
pub mod error;
pub mod model;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod backend;

pub use ui::app::{App, shell};
