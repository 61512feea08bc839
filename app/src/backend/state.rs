//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::domain::tenant::Region;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Every write, and reads inside a write's transaction.
    pub db: DatabaseConnection,
    /// Reads outside transactions (see `db::connect_reads`).
    pub reads: DatabaseConnection,
    /// The regions this installation offers (TENANTRY_REGIONS).
    pub regions: Arc<Vec<Region>>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
