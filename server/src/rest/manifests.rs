//! Declarative tenants: a tenant's manifest, the manifest's JSON Schema, and
//! the plan for a set of manifests (what applying them would do; nothing is
//! written).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use app::backend::services::manifests;
use app::backend::state::AppState;
use app::domain::manifests::manifest::{schema, to_yaml};
use app::model::manifests::{ManifestDocument, ManifestDocuments, ManifestPlan};

use super::access::Caller;
use super::problem::{ApiError, ApiPath, ApiQuery, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenant_manifest))
        .routes(routes!(manifest_schema))
        .routes(routes!(plan_manifests))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ManifestFormat {
    /// `json` (the default) or `yaml`; an `Accept: application/yaml` header
    /// asks for YAML too.
    pub format: Option<String>,
}

/// The tenant's manifest (`apiVersion: tenantry/v1`, `kind: Tenant`): its
/// identity, placement, plan, products with the versions they run, config
/// (secrets only as `{ secretRef: tenantry }`), update policy with windows
/// and blackouts, backup schedule, secret rotation and webhook
/// subscriptions. Planning it unchanged finds nothing to do.
#[utoipa::path(get, path = "/tenants/{id}/manifest", tag = "manifests",
    params(("id" = String, Path, description = "Tenant id or slug"), ManifestFormat),
    responses((status = 200, description = "The manifest, JSON or YAML (see the schema at /api/v1/schemas/tenant-manifest.json)", body = Object),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn tenant_manifest(
    State(_state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ManifestFormat>,
) -> ApiResult<Response> {
    let yaml = match query.format.as_deref() {
        Some("yaml") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-format",
                "Unknown format",
                &format!("{other:?} is not a format; ask for json or yaml."),
            ));
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("yaml")),
    };
    let manifest = manifests::export(&caller.ctx, &id).await?;
    Ok(if yaml {
        (
            [(header::CONTENT_TYPE, "application/yaml")],
            to_yaml(&manifest),
        )
            .into_response()
    } else {
        Json(manifest).into_response()
    })
}

/// The JSON Schema of a tenant manifest, for editors and CI linters (public,
/// like the OpenAPI document).
#[utoipa::path(get, path = "/schemas/tenant-manifest.json", tag = "manifests", security(()),
    responses((status = 200, description = "JSON Schema (draft 2020-12)", body = Object)))]
pub async fn manifest_schema() -> Json<serde_json::Value> {
    Json(schema())
}

/// What applying the manifests would do — nothing is written. For each
/// tenant: the field-level diff (current → desired) and the ordered
/// actions: fields the portal sets directly, then the change requests
/// (plan change, move, upgrades), each with the policy's verdict
/// (permission, residency, end of life, quota, approvals needed, the window
/// it would start in). The body is one or more manifests as YAML
/// (`Content-Type: application/yaml`, documents separated by `---`) or JSON
/// (one or an array), or `{"documents": [{"source", "content"}]}` for
/// several files. Every problem of every manifest is refused at once with
/// its path (`acme.yaml:spec.products[0].version`).
#[utoipa::path(post, path = "/manifests/plan", tag = "manifests",
    request_body(content = ManifestDocuments, description = "Manifests as JSON, or YAML with Content-Type application/yaml"),
    responses((status = 200, body = ManifestPlan), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn plan_manifests(
    State(_state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ManifestPlan>> {
    let documents = documents_of(&headers, &body)?;
    Ok(Json(manifests::plan(&caller.ctx, &documents).await?))
}

/// The request body as documents: the CLI's envelope, or one text.
fn documents_of(headers: &HeaderMap, body: &[u8]) -> ApiResult<Vec<ManifestDocument>> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            "The body is not UTF-8 text",
            "Send manifests as UTF-8 YAML or JSON.",
        )
    })?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"));
    if json
        && let Ok(serde_json::Value::Object(fields)) =
            serde_json::from_str::<serde_json::Value>(text)
        && fields.contains_key("documents")
    {
        let envelope: ManifestDocuments = serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-body",
                    "Malformed documents",
                    &format!(
                        "{e}; send {{\"documents\": [{{\"source\": \"…\", \"content\": \"…\"}}]}}."
                    ),
                )
            })?;
        return Ok(envelope.documents);
    }
    Ok(vec![ManifestDocument {
        source: String::new(),
        content: text.to_owned(),
    }])
}
