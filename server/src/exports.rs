//! File downloads that are not pages: the audit CSV export.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use app::api::audit::AuditQuery;
use app::backend::error::ServiceError;
use app::backend::services::audit_log::export_csv;
use app::backend::session::AuthSession;
use app::backend::state::AppState;

pub async fn audit_csv(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<AuditQuery>,
) -> Response {
    let principal = match AuthSession(session)
        .principal(&state.reads, &state.accounts)
        .await
    {
        Ok(Some(principal)) => principal,
        Ok(None) => {
            return (StatusCode::UNAUTHORIZED, "Sign in to export the audit log.").into_response();
        }
        Err(err) => return service_error(err),
    };
    match export_csv(&state.reads, &principal, &query).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tenantry-audit.csv\"",
                ),
            ],
            csv,
        )
            .into_response(),
        Err(err) => service_error(err),
    }
}

fn service_error(err: ServiceError) -> Response {
    let app_error = app::error::AppError::from(err);
    let status =
        StatusCode::from_u16(app_error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match &app_error {
        app::error::AppError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    (status, message).into_response()
}
