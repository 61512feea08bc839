//! The audit explorer: filters, keyset pages, and the CSV export link.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::audit::*;

#[server(prefix = "/api/fn", endpoint = "search_audit", input = server_fn::codec::Json)]
pub async fn search_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::audit::audit_log;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(audit_log::search(&ctx, &query, AUDIT_PAGE_SIZE).await)
}
