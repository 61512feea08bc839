//! File downloads that are not pages: the audit and compliance CSV exports.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use app::api::audit::AuditQuery;
use app::api::compliance::ComplianceQuery;
use app::backend::error::ServiceError;
use app::backend::services::audit_log::export_csv;
use app::backend::services::compliance;
use app::backend::session::AuthSession;
use app::backend::state::AppState;

pub async fn audit_csv(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<AuditQuery>,
) -> Response {
    let principal = match signed_in(&state, session, "Sign in to export the audit log.").await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    csv_download(
        export_csv(&state.reads, &principal, &query).await,
        "tenantry-audit.csv",
    )
}

/// The compliance report (filters as on the page, every page) as CSV.
pub async fn compliance_csv(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ComplianceQuery>,
) -> Response {
    let principal =
        match signed_in(&state, session, "Sign in to export the compliance report.").await {
            Ok(principal) => principal,
            Err(response) => return response,
        };
    csv_download(
        compliance::export_csv(&state.reads, &principal, &query).await,
        "tenantry-compliance.csv",
    )
}

async fn signed_in(
    state: &AppState,
    session: Session,
    why: &'static str,
) -> Result<app::backend::principal::Principal, Response> {
    match AuthSession(session)
        .principal(&state.reads, &state.accounts)
        .await
    {
        Ok(Some(principal)) => Ok(principal),
        Ok(None) => Err((StatusCode::UNAUTHORIZED, why).into_response()),
        Err(err) => Err(service_error(err)),
    }
}

fn csv_download(result: Result<String, ServiceError>, filename: &str) -> Response {
    match result {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
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
