//! File downloads that are not pages: the CSV exports of the audit log, the
//! compliance report, the version distribution and a tenant's endpoints, and
//! a tenant's data export (fresh, or the one written when it was offboarded).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use app::backend::csv_export::CsvStream;
use app::backend::error::ServiceError;
use app::backend::services::audit::audit_log::export_csv;
use app::backend::services::releases::compliance;
use app::backend::services::tenants;
use app::backend::services::tenants::agents;
use app::backend::services::tenants::offboarding;
use app::backend::session::AuthSession;
use app::backend::state::AppState;
use app::model::audit::AuditQuery;
use app::model::releases::compliance::ComplianceQuery;
use app::model::tenants::endpoints::EndpointQuery;

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
        export_csv(&state.ctx(principal.clone(), Default::default()), &query)
            .await
            .map(streamed),
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
        compliance::export_csv(&state.ctx(principal.clone(), Default::default()), &query)
            .await
            .map(streamed),
        "tenantry-compliance.csv",
    )
}

/// Tenants per product and version (the distribution chart's data) as CSV.
pub async fn distribution_csv(State(state): State<AppState>, session: Session) -> Response {
    let principal = match signed_in(
        &state,
        session,
        "Sign in to export the version distribution.",
    )
    .await
    {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    csv_download(
        compliance::distribution_csv(&state.ctx(principal.clone(), Default::default())).await,
        "tenantry-version-distribution.csv",
    )
}

/// One tenant's endpoints (the tab's filters, every page) as CSV.
pub async fn endpoints_csv(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(query): Query<EndpointQuery>,
) -> Response {
    let principal = match signed_in(&state, session, "Sign in to export endpoints.").await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let tenant_id =
        match tenants::resolve_tenant_id(&state.ctx(principal.clone(), Default::default()), &slug)
            .await
        {
            Ok((id, _)) => id,
            Err(err) => return service_error(err),
        };
    csv_download(
        agents::export_csv(
            &state.ctx(principal.clone(), Default::default()),
            tenant_id,
            &query,
        )
        .await
        .map(streamed),
        &format!("tenantry-endpoints-{slug}.csv"),
    )
}

/// A fresh data export of one tenant (a zip with a manifest of checksums).
pub async fn tenant_export_zip(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
) -> Response {
    let principal = match signed_in(&state, session, "Sign in to export a tenant.").await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let ctx = state.ctx(principal, Default::default());
    match offboarding::export_now(&ctx, &slug).await {
        Ok(download) => crate::rest::offboarding::zip_download(download),
        Err(err) => service_error(err),
    }
}

/// The export written when the tenant was offboarded.
pub async fn offboarding_export_zip(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
) -> Response {
    let principal = match signed_in(&state, session, "Sign in to download the export.").await {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let ctx = state.ctx(principal, Default::default());
    match offboarding::offboarding_export(&ctx, &slug).await {
        Ok(download) => crate::rest::offboarding::zip_download(download),
        Err(err) => service_error(err),
    }
}

async fn signed_in(
    state: &AppState,
    session: Session,
    why: &'static str,
) -> Result<app::backend::principal::Principal, Response> {
    match AuthSession::new(session, state.clock.clone())
        .principal(&state.reads, &state.accounts)
        .await
    {
        Ok(Some(principal)) => Ok(principal),
        Ok(None) => Err((StatusCode::UNAUTHORIZED, why).into_response()),
        Err(err) => Err(service_error(err)),
    }
}

/// A CSV file as an attachment: whole, or streamed while it is written.
fn csv_download(result: Result<impl Into<Body>, ServiceError>, filename: &str) -> Response {
    match result {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            csv.into(),
        )
            .into_response(),
        Err(err) => service_error(err),
    }
}

/// The body of a streamed export. An error after the first bytes cannot
/// change the status any more: it is logged and the download is cut short,
/// so the client sees an incomplete file, never a silently short one.
fn streamed(export: CsvStream) -> Body {
    Body::from_stream(futures::stream::unfold(export, |mut export| async move {
        let chunk = export.next_chunk().await?.map_err(|error| {
            tracing::error!(%error, "an export failed while it was being sent");
            std::io::Error::other("the export failed")
        });
        Some((chunk, export))
    }))
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
