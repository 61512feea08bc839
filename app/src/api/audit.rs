//! The audit explorer: filters, keyset pages, and the CSV export link.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::audit::*;

#[server(prefix = "/api/fn", endpoint = "search_audit", input = server_fn::codec::Json)]
pub async fn search_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::audit_log;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(audit_log::search(&state.reads, &principal, &query, AUDIT_PAGE_SIZE).await)
}
