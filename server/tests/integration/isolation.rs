//! The isolation proof. Every REST route (read from the OpenAPI document)
//! and every server function (read from the server-function registry) is
//! classified below by the permission it needs and where. Each is then
//! called over HTTP by every built-in role — platform admin, operator and
//! viewer, and admin, operator and viewer of tenant A — against tenant A and
//! tenant B, and anonymously; the outcome must match the permission matrix
//! (`Grants::allows`): allowed calls get past authorization, denied ones get
//! 403, and another tenant's resources 404. A route or server function that
//! nobody classified fails the test.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestDb, client, spawn_app, tenant_form,
};
use app::backend::audit::RequestContext;
use app::backend::principal::Actor;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::users;
use app::backend::services::tenants;
use app::backend::services::tenants::tenant_config;
use app::domain::access::permission::BuiltinRole;
use app::domain::access::permission::Grants;
use app::domain::access::permission::Permission;
use app::domain::access::permission::Scope;
use app::domain::tenants::tenant::Region;
use app::model::tenants::NewTenantForm;

const PASSWORD: &str = "isolation passphrase 1";

/// What a call needs.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// Anyone, signed in or not (login, invitation and reset pages).
    Public,
    /// Any signed-in user (their own account).
    SignedIn,
    /// The permission platform-wide.
    Platform(Permission),
    /// The permission on at least one tenant; results are filtered to those.
    Somewhere(Permission),
    /// The permission on the tenant the call names.
    Tenant(Permission),
}

#[derive(Clone, Copy)]
enum Body {
    Empty,
    Json(&'static str),
    Form(&'static [(&'static str, &'static str)]),
}

struct Call {
    method: &'static str,
    /// A path template: `{tenant}` is the target tenant's slug, `{crm}` its CRM id.
    path: &'static str,
    access: Access,
    body: Body,
}

const fn call(method: &'static str, path: &'static str, access: Access, body: Body) -> Call {
    Call {
        method,
        path,
        access,
        body,
    }
}

use Access::{Platform, Public, SignedIn, Somewhere, Tenant};
use Permission as P;

/// Every REST route; the path is the OpenAPI path with its parameters filled in.
const REST: &[(&str, &str, Call)] = &[
    (
        "get",
        "/api/v1/openapi.json",
        call("GET", "/api/v1/openapi.json", Public, Body::Empty),
    ),
    (
        "get",
        "/api/v1/tenants",
        call(
            "GET",
            "/api/v1/tenants",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/tenants",
        call(
            "POST",
            "/api/v1/tenants",
            Platform(P::TenantManage),
            Body::Json(
                r#"{"customer":"","slug":"","display_name":"","environment":"","deployment_kind":"","isolation_mode":"","plan_code":"","region":""}"#,
            ),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}",
        call(
            "GET",
            "/api/v1/tenants/{tenant}",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    // A stale version: allowed callers get 409 and nothing changes.
    (
        "put",
        "/api/v1/tenants/{id}",
        call(
            "PUT",
            "/api/v1/tenants/{tenant}",
            Tenant(P::TenantManage),
            Body::Json(r#"{"version":0,"display_name":"Renamed","plan_code":"starter"}"#),
        ),
    ),
    // A draft cannot be deleted: allowed callers get the policy refusal.
    (
        "delete",
        "/api/v1/tenants/{id}",
        call(
            "DELETE",
            "/api/v1/tenants/{tenant}",
            Tenant(P::TenantLifecycle),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/by-external-id/{system}/{value}",
        call(
            "GET",
            "/api/v1/tenants/by-external-id/crm/{crm}",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/tenants/{id}/transitions",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/transitions",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"action":"resume"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/audit",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/audit",
            Tenant(P::AuditRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/config",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/config",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/health",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/health",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/tenants/{id}/health/runs",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/health/runs",
            Tenant(P::TenantManage),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/tenants/{id}/health/address",
        call(
            "PUT",
            "/api/v1/tenants/{tenant}/health/address",
            Platform(P::TenantManage),
            Body::Json(r#"{"base_url":"not a url"}"#),
        ),
    ),
    (
        "put",
        "/api/v1/tenants/{id}/config",
        call(
            "PUT",
            "/api/v1/tenants/{tenant}/config",
            Tenant(P::TenantManage),
            Body::Json(r#"{"key":"probe.key","value":"probe"}"#),
        ),
    ),
    (
        "delete",
        "/api/v1/tenants/{id}/config/{key}",
        call(
            "DELETE",
            "/api/v1/tenants/{tenant}/config/probe.key",
            Tenant(P::TenantManage),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/audit",
        call("GET", "/api/v1/audit", Somewhere(P::AuditRead), Body::Empty),
    ),
    (
        "get",
        "/api/v1/events",
        call(
            "GET",
            "/api/v1/events",
            Somewhere(P::AuditRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/events/stream",
        call(
            "GET",
            "/api/v1/events/stream?max_wait=0",
            SignedIn,
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/event-types",
        call("GET", "/api/v1/event-types", SignedIn, Body::Empty),
    ),
    (
        "get",
        "/api/v1/webhooks",
        call(
            "GET",
            "/api/v1/webhooks",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/webhooks",
        call(
            "POST",
            "/api/v1/webhooks",
            Tenant(P::TenantManage),
            Body::Json(r#"{"tenant":"{tenant}","url":"not a url"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/webhooks/{id}",
        call(
            "GET",
            "/api/v1/webhooks/00000000-0000-0000-0000-000000000000",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/webhooks/{id}/rotate-secret",
        call(
            "POST",
            "/api/v1/webhooks/00000000-0000-0000-0000-000000000000/rotate-secret",
            Somewhere(P::TenantManage),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/webhooks/{id}/enabled",
        call(
            "PUT",
            "/api/v1/webhooks/00000000-0000-0000-0000-000000000000/enabled",
            Somewhere(P::TenantManage),
            Body::Json(r#"{"enabled":true}"#),
        ),
    ),
    (
        "post",
        "/api/v1/webhooks/{id}/test",
        call(
            "POST",
            "/api/v1/webhooks/00000000-0000-0000-0000-000000000000/test",
            Somewhere(P::TenantManage),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/alerts",
        call(
            "GET",
            "/api/v1/alerts",
            Platform(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/alerts/{id}/acknowledge",
        call(
            "POST",
            "/api/v1/alerts/00000000-0000-0000-0000-000000000000/acknowledge",
            Platform(P::UpdateExecute),
            Body::Json(r#"{"comment": "on it"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/service-levels",
        call(
            "GET",
            "/api/v1/service-levels",
            Platform(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/service-levels/targets",
        call(
            "PUT",
            "/api/v1/service-levels/targets",
            Platform(P::SettingsManage),
            Body::Json(
                r#"{"availability_percent": "99.9", "api_p95_ms": "200", "api_error_percent": "0.1"}"#,
            ),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/overview",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/overview",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenant-trouble",
        call(
            "GET",
            "/api/v1/tenant-trouble",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/plans",
        call(
            "GET",
            "/api/v1/plans",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/plans",
        call(
            "POST",
            "/api/v1/plans",
            Platform(P::SettingsManage),
            Body::Json(r#"{"code": "iso-plan", "name": "Isolation"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/plans/{code}",
        call(
            "GET",
            "/api/v1/plans/starter",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/plans/{code}",
        call(
            "PUT",
            "/api/v1/plans/starter",
            Platform(P::SettingsManage),
            Body::Json(
                r#"{"code": "starter", "name": "Starter", "feature_flags": ["audit_export", "auto_update", "blue_green"]}"#,
            ),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/limits",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/limits",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/tenants/{id}/limits/override",
        call(
            "PUT",
            "/api/v1/tenants/{tenant}/limits/override",
            Platform(P::TenantManage),
            Body::Json(r#"{"quota": "users", "limit": "", "reason": ""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/licence-templates",
        call(
            "GET",
            "/api/v1/licence-templates",
            Platform(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/licence-templates",
        call(
            "POST",
            "/api/v1/licence-templates",
            Platform(P::SettingsManage),
            Body::Json(
                r#"{"key": "iso-licence", "name": "Isolation", "licence_type": "trial", "seats": "1", "term_days": "30"}"#,
            ),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/licences",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/licences",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/tenants/{id}/licences",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/licences",
            Platform(P::TenantManage),
            Body::Json(r#"{"template": "no-such-template"}"#),
        ),
    ),
    (
        "post",
        "/api/v1/licences/{id}/renew",
        call(
            "POST",
            "/api/v1/licences/00000000-0000-0000-0000-000000000000/renew",
            Platform(P::TenantManage),
            Body::Json(r#"{"valid_to": ""}"#),
        ),
    ),
    (
        "post",
        "/api/v1/licences/{id}/revoke",
        call(
            "POST",
            "/api/v1/licences/00000000-0000-0000-0000-000000000000/revoke",
            Platform(P::TenantManage),
            Body::Json(r#"{"reason": "isolation"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/licences/{id}/document",
        call(
            "GET",
            "/api/v1/licences/00000000-0000-0000-0000-000000000000/document",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/manifest",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/manifest",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/schemas/tenant-manifest.json",
        call(
            "GET",
            "/api/v1/schemas/tenant-manifest.json",
            Public,
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/manifests/plan",
        call(
            "POST",
            "/api/v1/manifests/plan",
            Somewhere(P::TenantRead),
            Body::Json(r#"{"documents": []}"#),
        ),
    ),
    (
        "get",
        "/api/v1/licences/public-key",
        call("GET", "/api/v1/licences/public-key", Public, Body::Empty),
    ),
    (
        "post",
        "/api/v1/usage",
        call(
            "POST",
            "/api/v1/usage",
            Platform(P::TenantManage),
            Body::Json(r#"{"records": []}"#),
        ),
    ),
    (
        "post",
        "/api/v1/agents/usage",
        call(
            "POST",
            "/api/v1/agents/usage",
            Public,
            Body::Json(r#"{"records": []}"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/usage",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/usage",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/usage/export",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/usage/export",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/usage",
        call("GET", "/api/v1/usage", Platform(P::ReportRead), Body::Empty),
    ),
    (
        "get",
        "/api/v1/usage/export",
        call(
            "GET",
            "/api/v1/usage/export",
            Platform(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/cloud-resources",
        call(
            "POST",
            "/api/v1/cloud-resources",
            Platform(P::TenantManage),
            Body::Json(r#"{"resources": []}"#),
        ),
    ),
    (
        "post",
        "/api/v1/cloud-resources/import",
        call(
            "POST",
            "/api/v1/cloud-resources/import",
            Platform(P::TenantManage),
            Body::Json(r#"provider,region"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/cloud-resources",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/cloud-resources",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/backups",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/backups",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    // The probe tenants are drafts: allowed callers get the lifecycle refusal.
    (
        "post",
        "/api/v1/tenants/{id}/backups",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/backups",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"note": "isolation probe"}"#),
        ),
    ),
    // No backups yet: allowed callers get 409.
    (
        "post",
        "/api/v1/tenants/{id}/backups/{backup}/verify",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/backups/latest/verify",
            Tenant(P::TenantLifecycle),
            Body::Empty,
        ),
    ),
    // No backups yet: allowed callers get 409.
    (
        "post",
        "/api/v1/tenants/{id}/backups/{backup}/restore-test",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/backups/latest/restore-test",
            Tenant(P::TenantLifecycle),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/tenants/{id}/backups/schedule",
        call(
            "PUT",
            "/api/v1/tenants/{tenant}/backups/schedule",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"keep_daily": "many"}"#),
        ),
    ),
    (
        "post",
        "/api/v1/tenants/{id}/restore",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/restore",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"backup_id": "", "confirm": ""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/secrets",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/secrets",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    // A value too short: allowed callers get the field refusal.
    (
        "post",
        "/api/v1/tenants/{id}/secrets/{name}/rotate",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/secrets/database/rotate",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"value": "short"}"#),
        ),
    ),
    (
        "put",
        "/api/v1/tenants/{id}/secrets/{name}/schedule",
        call(
            "PUT",
            "/api/v1/tenants/{tenant}/secrets/database/schedule",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"interval_days": "0"}"#),
        ),
    ),
    (
        "post",
        "/api/v1/tenants/{id}/legal-hold",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/legal-hold",
            Platform(P::LegalHold),
            Body::Json(r#"{"reason": ""}"#),
        ),
    ),
    (
        "delete",
        "/api/v1/tenants/{id}/legal-hold",
        call(
            "DELETE",
            "/api/v1/tenants/{tenant}/legal-hold",
            Platform(P::LegalHold),
            Body::Json(r#"{"reason": ""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/migrations",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/migrations",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    // An empty form: allowed callers get the field refusals, nothing moves.
    (
        "post",
        "/api/v1/tenants/{id}/migrations",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/migrations",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"reason": "", "confirm": ""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/offboarding",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/offboarding",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    // An empty form: allowed callers get the field refusals, nothing starts.
    (
        "post",
        "/api/v1/tenants/{id}/offboarding",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/offboarding",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"reason": "", "confirm": ""}"#),
        ),
    ),
    // Never offboarded: allowed callers get the refusal naming the fresh export.
    (
        "get",
        "/api/v1/tenants/{id}/offboarding/export",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/offboarding/export",
            Tenant(P::AuditRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/export",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/export",
            Tenant(P::AuditRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/tenants/{id}/plan-change",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/plan-change",
            Platform(P::TenantManage),
            Body::Json(r#"{"plan": "starter"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/alert-rules",
        call(
            "GET",
            "/api/v1/alert-rules",
            Platform(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/alert-rules/{rule}",
        call(
            "PUT",
            "/api/v1/alert-rules/no_such_rule",
            Platform(P::SettingsManage),
            Body::Json(r#"{"enabled": true, "threshold": ""}"#),
        ),
    ),
    (
        "post",
        "/api/v1/webhooks/{id}/replay",
        call(
            "POST",
            "/api/v1/webhooks/00000000-0000-0000-0000-000000000000/replay",
            Somewhere(P::TenantManage),
            Body::Json(r#"{"from_sequence": 1}"#),
        ),
    ),
    (
        "post",
        "/api/v1/webhooks/{id}/requeue",
        call(
            "POST",
            "/api/v1/webhooks/00000000-0000-0000-0000-000000000000/requeue",
            Somewhere(P::TenantManage),
            Body::Json(r#"{}"#),
        ),
    ),
    (
        "get",
        "/api/v1/products",
        call(
            "GET",
            "/api/v1/products",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/products",
        call(
            "POST",
            "/api/v1/products",
            Platform(P::ReleaseManage),
            Body::Json(r#"{"key":"","name":""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/releases",
        call(
            "GET",
            "/api/v1/releases",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/releases",
        call(
            "POST",
            "/api/v1/releases",
            Platform(P::ReleaseManage),
            Body::Json(
                r#"{"product_id":"00000000-0000-0000-0000-000000000000","version":"x","released_on":""}"#,
            ),
        ),
    ),
    (
        "get",
        "/api/v1/compliance",
        call(
            "GET",
            "/api/v1/compliance",
            Somewhere(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/compliance",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/compliance",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    // Licensing is the vendor's: allowed callers get 422 for an unknown product.
    (
        "post",
        "/api/v1/tenants/{id}/products",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/products",
            Tenant(P::ReleaseManage),
            Body::Json(r#"{"product_id":"00000000-0000-0000-0000-000000000000"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/endpoints",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/endpoints",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/tenants/{id}/extension-requests",
        call(
            "POST",
            "/api/v1/tenants/{tenant}/extension-requests",
            Tenant(P::UpdateApprove),
            Body::Json(
                r#"{"product_id":"00000000-0000-0000-0000-000000000000","days":5,"reason":"probe"}"#,
            ),
        ),
    ),
    (
        "get",
        "/api/v1/policies",
        call(
            "GET",
            "/api/v1/policies",
            Somewhere(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/policies",
        call(
            "PUT",
            "/api/v1/policies",
            Platform(P::PolicyManage),
            Body::Json(r#"{"level":"nonsense"}"#),
        ),
    ),
    (
        "delete",
        "/api/v1/policies/{id}",
        call(
            "DELETE",
            "/api/v1/policies/00000000-0000-0000-0000-000000000000",
            Platform(P::PolicyManage),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/extension-requests",
        call(
            "GET",
            "/api/v1/extension-requests",
            Somewhere(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/extension-requests/{id}/decision",
        call(
            "POST",
            "/api/v1/extension-requests/00000000-0000-0000-0000-000000000000/decision",
            Platform(P::PolicyManage),
            Body::Json(r#"{"decision":"approve"}"#),
        ),
    ),
    // Agents authenticate with their own tokens; a browser session is no use.
    (
        "post",
        "/api/v1/agents/register",
        call(
            "POST",
            "/api/v1/agents/register",
            Public,
            Body::Json(
                r#"{"enrollment_token":"tenr_nope","hostname":"h","platform":"linux","agent_version":"1.0.0"}"#,
            ),
        ),
    ),
    (
        "post",
        "/api/v1/agents/report",
        call(
            "POST",
            "/api/v1/agents/report",
            Public,
            Body::Json(r#"{"hostname":"h","platform":"linux","agent_version":"1.0.0"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/change-requests",
        call(
            "GET",
            "/api/v1/change-requests",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/change-requests",
        call(
            "POST",
            "/api/v1/change-requests",
            Tenant(P::TenantLifecycle),
            Body::Json(r#"{"tenant":"{tenant}","kind":"suspend"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/change-requests/{id}",
        call(
            "GET",
            "/api/v1/change-requests/00000000-0000-0000-0000-000000000000",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/change-requests/{id}/decision",
        call(
            "POST",
            "/api/v1/change-requests/00000000-0000-0000-0000-000000000000/decision",
            Somewhere(P::UpdateApprove),
            Body::Json(r#"{"decision":"approve"}"#),
        ),
    ),
    (
        "post",
        "/api/v1/change-requests/{id}/cancel",
        call(
            "POST",
            "/api/v1/change-requests/00000000-0000-0000-0000-000000000000/cancel",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/change-requests/{id}/delay",
        call(
            "POST",
            "/api/v1/change-requests/00000000-0000-0000-0000-000000000000/delay",
            Somewhere(P::UpdateApprove),
            Body::Json(r#"{"days":1}"#),
        ),
    ),
    (
        "get",
        "/api/v1/approvals",
        call("GET", "/api/v1/approvals", SignedIn, Body::Empty),
    ),
    (
        "post",
        "/api/v1/change-requests/{id}/submit",
        call(
            "POST",
            "/api/v1/change-requests/00000000-0000-0000-0000-000000000000/submit",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/saved-filters",
        call(
            "GET",
            "/api/v1/saved-filters",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/saved-filters",
        call(
            "POST",
            "/api/v1/saved-filters",
            Platform(P::TenantManage),
            Body::Json(r#"{"name":""}"#),
        ),
    ),
    (
        "delete",
        "/api/v1/saved-filters/{id}",
        call(
            "DELETE",
            "/api/v1/saved-filters/00000000-0000-0000-0000-000000000000",
            Platform(P::TenantManage),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/saved-filters/{id}/change-requests",
        call(
            "POST",
            "/api/v1/saved-filters/00000000-0000-0000-0000-000000000000/change-requests",
            Platform(P::TenantRead),
            Body::Json(r#"{"tenant":"","kind":"backup"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/delay-requests",
        call(
            "GET",
            "/api/v1/delay-requests",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/delay-requests/{id}/decision",
        call(
            "POST",
            "/api/v1/delay-requests/00000000-0000-0000-0000-000000000000/decision",
            Platform(P::UpdateApprove),
            Body::Json(r#"{"decision":"approve"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/tenants/{id}/update-policy",
        call(
            "GET",
            "/api/v1/tenants/{tenant}/update-policy",
            Tenant(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/tenants/{id}/update-policy",
        call(
            "PUT",
            "/api/v1/tenants/{tenant}/update-policy",
            Tenant(P::TenantManage),
            Body::Json(r#"{"approval_mode":"","timezone":"","max_delay_days":""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/rollouts",
        call(
            "GET",
            "/api/v1/rollouts",
            Platform(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/rollouts",
        call(
            "POST",
            "/api/v1/rollouts",
            Platform(P::UpdateExecute),
            Body::Json(r#"{"name":"","product":"","target_version":""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/rollouts/{id}",
        call(
            "GET",
            "/api/v1/rollouts/00000000-0000-0000-0000-000000000000",
            Platform(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/rollouts/{id}/{action}",
        call(
            "POST",
            "/api/v1/rollouts/00000000-0000-0000-0000-000000000000/pause",
            Platform(P::UpdateExecute),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/deployments",
        call(
            "GET",
            "/api/v1/deployments",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/deployments",
        call(
            "POST",
            "/api/v1/deployments",
            Platform(P::TenantManage),
            Body::Json(r#"{"tenant":"{tenant}","product":"","version":""}"#),
        ),
    ),
    (
        "get",
        "/api/v1/deployments/{id}",
        call(
            "GET",
            "/api/v1/deployments/00000000-0000-0000-0000-000000000000",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "post",
        "/api/v1/deployments/{id}/switch",
        call(
            "POST",
            "/api/v1/deployments/00000000-0000-0000-0000-000000000000/switch",
            Somewhere(P::UpdateExecute),
            Body::Json(r#"{"version":"1.0.0"}"#),
        ),
    ),
    (
        "post",
        "/api/v1/deployments/{id}/{action}",
        call(
            "POST",
            "/api/v1/deployments/00000000-0000-0000-0000-000000000000/rollback",
            Somewhere(P::UpdateExecute),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/deployments/{id}/settings",
        call(
            "PUT",
            "/api/v1/deployments/00000000-0000-0000-0000-000000000000/settings",
            Somewhere(P::TenantManage),
            Body::Json(
                r#"{"steps":"","bake_seconds":"","interval_seconds":"","max_error_rate":"","max_latency_ms":"","max_error_rate_over_live":"","max_latency_ratio_to_live":"","min_requests":"","max_consecutive_failures":""}"#,
            ),
        ),
    ),
    (
        "put",
        "/api/v1/deployments/{id}/simulation",
        call(
            "PUT",
            "/api/v1/deployments/00000000-0000-0000-0000-000000000000/simulation",
            Somewhere(P::TenantManage),
            Body::Json(
                r#"{"requests_per_second":1,"blue":{"error_rate":0,"latency_ms":1},"green":{"error_rate":0,"latency_ms":1}}"#,
            ),
        ),
    ),
    (
        "get",
        "/api/v1/deployments/{id}/health-runs",
        call(
            "GET",
            "/api/v1/deployments/00000000-0000-0000-0000-000000000000/health-runs",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "get",
        "/api/v1/health-baselines",
        call(
            "GET",
            "/api/v1/health-baselines",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "put",
        "/api/v1/health-baselines/{product}",
        call(
            "PUT",
            "/api/v1/health-baselines/no-such-product",
            Platform(P::ReleaseManage),
            Body::Json(r#"{"checks":[]}"#),
        ),
    ),
    (
        "get",
        "/api/v1/jobs",
        call("GET", "/api/v1/jobs", Platform(P::TenantRead), Body::Empty),
    ),
    (
        "post",
        "/api/v1/executor/callback",
        call(
            "POST",
            "/api/v1/executor/callback",
            Public,
            Body::Json(r#"{"key":"x","status":"succeeded"}"#),
        ),
    ),
    (
        "get",
        "/api/v1/agents/assignments",
        call("GET", "/api/v1/agents/assignments", Public, Body::Empty),
    ),
    (
        "post",
        "/api/v1/agents/assignments/{id}",
        call(
            "POST",
            "/api/v1/agents/assignments/00000000-0000-0000-0000-000000000000",
            Public,
            Body::Json(r#"{"status":"installing"}"#),
        ),
    ),
];

const NOBODY: &str = "00000000-0000-0000-0000-000000000000";

/// Every server function, by endpoint name.
/// The downloads and probes served beside the API: CSV exports need a
/// session (without one, the browser is sent to sign in).
const EXPORTS: &[Call] = &[
    call(
        "GET",
        "/audit/export.csv",
        Somewhere(P::AuditRead),
        Body::Empty,
    ),
    call(
        "GET",
        "/compliance/export.csv",
        Somewhere(P::ReportRead),
        Body::Empty,
    ),
    call(
        "GET",
        "/compliance/distribution.csv",
        Somewhere(P::ReportRead),
        Body::Empty,
    ),
    call(
        "GET",
        "/tenants/{tenant}/endpoints.csv",
        Tenant(P::TenantRead),
        Body::Empty,
    ),
    call(
        "GET",
        "/tenants/{tenant}/export.zip",
        Tenant(P::AuditRead),
        Body::Empty,
    ),
    // Never offboarded: allowed callers get the refusal naming the fresh export.
    call(
        "GET",
        "/tenants/{tenant}/offboarding/export.zip",
        Tenant(P::AuditRead),
        Body::Empty,
    ),
    // The alert rules' runbooks: documentation, no tenant's data.
    call("GET", "/runbooks/{rule}", SignedIn, Body::Empty),
];

/// Health probes: anyone. `/metrics` answers 404 unless a metrics token is
/// configured, and then only to that bearer token (see `observability`).
const PROBES: &[&str] = &["/healthz", "/readyz", "/metrics"];

const SERVER_FNS: &[(&str, Call)] = &[
    (
        "login",
        call(
            "POST",
            "/api/fn/login",
            Public,
            Body::Form(&[
                ("email", "nobody@example.com"),
                ("password", "not a real password"),
            ]),
        ),
    ),
    (
        "current_user",
        call("POST", "/api/fn/current_user", Public, Body::Empty),
    ),
    (
        "describe_invitation",
        call(
            "POST",
            "/api/fn/describe_invitation",
            Public,
            Body::Form(&[("token", "no-such-token")]),
        ),
    ),
    (
        "accept_invitation",
        call(
            "POST",
            "/api/fn/accept_invitation",
            Public,
            Body::Form(&[
                ("token", "no-such-token"),
                ("display_name", "X"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ]),
        ),
    ),
    (
        "request_password_reset",
        call(
            "POST",
            "/api/fn/request_password_reset",
            Public,
            Body::Form(&[("email", "nobody@example.com")]),
        ),
    ),
    (
        "describe_password_reset",
        call(
            "POST",
            "/api/fn/describe_password_reset",
            Public,
            Body::Form(&[("token", "no-such-token")]),
        ),
    ),
    (
        "reset_password",
        call(
            "POST",
            "/api/fn/reset_password",
            Public,
            Body::Form(&[
                ("token", "no-such-token"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ]),
        ),
    ),
    (
        "change_password",
        call(
            "POST",
            "/api/fn/change_password",
            SignedIn,
            Body::Form(&[
                ("current_password", "certainly not it"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ]),
        ),
    ),
    (
        "dashboard_summary",
        call(
            "POST",
            "/api/fn/dashboard_summary",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "list_tenants",
        call(
            "POST",
            "/api/fn/list_tenants",
            Somewhere(P::TenantRead),
            Body::Json(r#"{"query":{}}"#),
        ),
    ),
    (
        "tenant_form_options",
        call(
            "POST",
            "/api/fn/tenant_form_options",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "create_tenant",
        call(
            "POST",
            "/api/fn/create_tenant",
            Platform(P::TenantManage),
            Body::Form(&[
                ("form[customer]", ""),
                ("form[slug]", ""),
                ("form[display_name]", ""),
                ("form[environment]", ""),
                ("form[deployment_kind]", ""),
                ("form[isolation_mode]", ""),
                ("form[plan_code]", ""),
                ("form[region]", ""),
                ("form[allowed_regions]", ""),
                ("form[contact_technical]", ""),
                ("form[contact_billing]", ""),
                ("form[contact_incident]", ""),
                ("form[external_crm]", ""),
                ("form[external_billing]", ""),
                ("form[labels]", ""),
            ]),
        ),
    ),
    (
        "check_onboarding",
        call(
            "POST",
            "/api/fn/check_onboarding",
            Platform(P::TenantManage),
            Body::Json(
                r#"{"form":{"customer":"","slug":"","display_name":"","environment":"","deployment_kind":"","isolation_mode":"","plan_code":"","region":"","allowed_regions":"","contact_technical":"","contact_billing":"","contact_incident":"","external_crm":"","external_billing":"","labels":""},"through_step":1}"#,
            ),
        ),
    ),
    (
        "get_tenant",
        call(
            "POST",
            "/api/fn/get_tenant",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "tenant_action",
        call(
            "POST",
            "/api/fn/tenant_action",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}"), ("action", "resume"), ("version", "1")]),
        ),
    ),
    (
        "set_tenant_config",
        call(
            "POST",
            "/api/fn/set_tenant_config",
            Tenant(P::TenantManage),
            Body::Form(&[
                ("slug", "{tenant}"),
                ("key", "probe.key"),
                ("value", "probe"),
            ]),
        ),
    ),
    (
        "remove_tenant_config",
        call(
            "POST",
            "/api/fn/remove_tenant_config",
            Tenant(P::TenantManage),
            Body::Form(&[("slug", "{tenant}"), ("key", "probe.key")]),
        ),
    ),
    (
        "update_tenant",
        call(
            "POST",
            "/api/fn/update_tenant",
            Tenant(P::TenantManage),
            Body::Form(&[
                ("slug", "{tenant}"),
                ("version", "0"),
                ("edit[display_name]", "Renamed"),
                ("edit[plan_code]", "starter"),
                ("edit[labels]", ""),
                ("edit[contact_technical]", ""),
                ("edit[contact_billing]", ""),
                ("edit[contact_incident]", ""),
            ]),
        ),
    ),
    (
        // Per-item outcomes: another tenant's slug reads like an unknown one
        // (see `access`), so the call itself needs the permission somewhere.
        "preview_bulk",
        call(
            "POST",
            "/api/fn/preview_bulk",
            Somewhere(P::TenantRead),
            Body::Json(r#"{"action":"suspend","slugs":["{tenant}"]}"#),
        ),
    ),
    (
        "run_bulk",
        call(
            "POST",
            "/api/fn/run_bulk",
            Somewhere(P::TenantLifecycle),
            Body::Form(&[("action", "resume"), ("slugs", "{tenant}")]),
        ),
    ),
    (
        "search_audit",
        call(
            "POST",
            "/api/fn/search_audit",
            Somewhere(P::AuditRead),
            Body::Json(r#"{"query":{}}"#),
        ),
    ),
    (
        "list_api_tokens",
        call(
            "POST",
            "/api/fn/list_api_tokens",
            Somewhere(P::SettingsManage),
            Body::Empty,
        ),
    ),
    (
        "create_api_token",
        call(
            "POST",
            "/api/fn/create_api_token",
            Somewhere(P::SettingsManage),
            Body::Form(&[("name", ""), ("expires_in_days", "")]),
        ),
    ),
    (
        "revoke_api_token",
        call(
            "POST",
            "/api/fn/revoke_api_token",
            Somewhere(P::SettingsManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "list_webhooks",
        call(
            "POST",
            "/api/fn/list_webhooks",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "create_webhook",
        call(
            "POST",
            "/api/fn/create_webhook",
            Tenant(P::TenantManage),
            Body::Form(&[("tenant", "{tenant}"), ("url", "not a url")]),
        ),
    ),
    (
        "load_webhook",
        call(
            "POST",
            "/api/fn/load_webhook",
            Somewhere(P::TenantRead),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "send_webhook_test",
        call(
            "POST",
            "/api/fn/send_webhook_test",
            Somewhere(P::TenantManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "rotate_webhook_secret",
        call(
            "POST",
            "/api/fn/rotate_webhook_secret",
            Somewhere(P::TenantManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "replay_webhook",
        call(
            "POST",
            "/api/fn/replay_webhook",
            Somewhere(P::TenantManage),
            Body::Form(&[("id", NOBODY), ("from_sequence", "1")]),
        ),
    ),
    (
        "requeue_webhook",
        call(
            "POST",
            "/api/fn/requeue_webhook",
            Somewhere(P::TenantManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "set_webhook_enabled",
        call(
            "POST",
            "/api/fn/set_webhook_enabled",
            Somewhere(P::TenantManage),
            Body::Form(&[("id", NOBODY), ("enabled", "true")]),
        ),
    ),
    (
        "list_users",
        call(
            "POST",
            "/api/fn/list_users",
            Somewhere(P::UserManage),
            Body::Json(r#"{"query":{}}"#),
        ),
    ),
    (
        "invite_user",
        call(
            "POST",
            "/api/fn/invite_user",
            Somewhere(P::UserManage),
            Body::Form(&[("email", ""), ("role", ""), ("tenant", "")]),
        ),
    ),
    (
        "revoke_invitation",
        call(
            "POST",
            "/api/fn/revoke_invitation",
            Somewhere(P::UserManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "set_user_active",
        call(
            "POST",
            "/api/fn/set_user_active",
            Somewhere(P::UserManage),
            Body::Form(&[("id", NOBODY), ("active", "false")]),
        ),
    ),
    (
        "list_roles",
        call(
            "POST",
            "/api/fn/list_roles",
            Somewhere(P::UserManage),
            Body::Empty,
        ),
    ),
    (
        "create_role",
        call(
            "POST",
            "/api/fn/create_role",
            Platform(P::UserManage),
            Body::Form(&[("name", ""), ("scope", "")]),
        ),
    ),
    (
        "delete_role",
        call(
            "POST",
            "/api/fn/delete_role",
            Platform(P::UserManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "list_outbox",
        call(
            "POST",
            "/api/fn/list_outbox",
            Platform(P::SettingsManage),
            Body::Empty,
        ),
    ),
    (
        "verify_login",
        call(
            "POST",
            "/api/fn/verify_login",
            Public,
            Body::Form(&[("code", "123456")]),
        ),
    ),
    (
        "two_factor_status",
        call("POST", "/api/fn/two_factor_status", SignedIn, Body::Empty),
    ),
    (
        "start_two_factor",
        call("POST", "/api/fn/start_two_factor", SignedIn, Body::Empty),
    ),
    (
        "confirm_two_factor",
        call(
            "POST",
            "/api/fn/confirm_two_factor",
            SignedIn,
            Body::Form(&[("code", "12345")]),
        ),
    ),
    (
        "disable_two_factor",
        call(
            "POST",
            "/api/fn/disable_two_factor",
            SignedIn,
            Body::Form(&[("password", "certainly not it"), ("code", "12345")]),
        ),
    ),
    (
        "notification_preferences",
        call(
            "POST",
            "/api/fn/notification_preferences",
            SignedIn,
            Body::Empty,
        ),
    ),
    (
        "save_notification_preferences",
        call(
            "POST",
            "/api/fn/save_notification_preferences",
            SignedIn,
            Body::Form(&[("email[eol_notice]", "on")]),
        ),
    ),
    (
        "email_digest_settings",
        call(
            "POST",
            "/api/fn/email_digest_settings",
            SignedIn,
            Body::Empty,
        ),
    ),
    (
        "save_email_digest_settings",
        call(
            "POST",
            "/api/fn/save_email_digest_settings",
            SignedIn,
            Body::Form(&[
                ("cadence", "daily"),
                ("hour", "8"),
                ("weekday", "mon"),
                ("timezone", "Europe/Berlin"),
            ]),
        ),
    ),
    (
        "release_catalog",
        call(
            "POST",
            "/api/fn/release_catalog",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "create_product",
        call(
            "POST",
            "/api/fn/create_product",
            Platform(P::ReleaseManage),
            Body::Form(&[("key", ""), ("name", "")]),
        ),
    ),
    (
        "save_release",
        call(
            "POST",
            "/api/fn/save_release",
            Platform(P::ReleaseManage),
            Body::Form(&[
                ("form[product_id]", NOBODY),
                ("form[version]", "x"),
                ("form[released_on]", ""),
            ]),
        ),
    ),
    (
        "compliance_dashboard",
        call(
            "POST",
            "/api/fn/compliance_dashboard",
            Somewhere(P::ReportRead),
            Body::Json(r#"{"query":{}}"#),
        ),
    ),
    (
        "run_assessment",
        call(
            "POST",
            "/api/fn/run_assessment",
            Platform(P::PolicyManage),
            Body::Empty,
        ),
    ),
    (
        "tenant_versions",
        call(
            "POST",
            "/api/fn/tenant_versions",
            Tenant(P::TenantRead),
            Body::Form(&[("tenant_id", "{tenant_id}")]),
        ),
    ),
    (
        "set_tenant_product",
        call(
            "POST",
            "/api/fn/set_tenant_product",
            Tenant(P::ReleaseManage),
            Body::Form(&[("tenant_id", "{tenant_id}"), ("form[product_id]", NOBODY)]),
        ),
    ),
    (
        "request_grace_extension",
        call(
            "POST",
            "/api/fn/request_grace_extension",
            Tenant(P::UpdateApprove),
            Body::Form(&[
                ("tenant_id", "{tenant_id}"),
                ("product_id", NOBODY),
                ("days", "5"),
                ("reason", "probe"),
            ]),
        ),
    ),
    (
        "version_policies",
        call(
            "POST",
            "/api/fn/version_policies",
            Somewhere(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "save_policy",
        call(
            "POST",
            "/api/fn/save_policy",
            Platform(P::PolicyManage),
            Body::Form(&[("level", "nonsense")]),
        ),
    ),
    (
        "delete_policy",
        call(
            "POST",
            "/api/fn/delete_policy",
            Platform(P::PolicyManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "decide_extension",
        call(
            "POST",
            "/api/fn/decide_extension",
            Platform(P::PolicyManage),
            Body::Form(&[("id", NOBODY), ("decision", "approve")]),
        ),
    ),
    (
        "tenant_endpoints",
        call(
            "POST",
            "/api/fn/tenant_endpoints",
            Tenant(P::TenantRead),
            Body::Json(r#"{"tenant_id":"{tenant_id}","query":{}}"#),
        ),
    ),
    (
        "create_enrollment_token",
        call(
            "POST",
            "/api/fn/create_enrollment_token",
            Tenant(P::TenantManage),
            Body::Form(&[("tenant_id", "{tenant_id}"), ("label", "")]),
        ),
    ),
    (
        "revoke_enrollment_token",
        call(
            "POST",
            "/api/fn/revoke_enrollment_token",
            Tenant(P::TenantManage),
            Body::Form(&[("tenant_id", "{tenant_id}"), ("id", NOBODY)]),
        ),
    ),
    (
        "notification_inbox",
        call("POST", "/api/fn/notification_inbox", SignedIn, Body::Empty),
    ),
    (
        "unread_notifications",
        call(
            "POST",
            "/api/fn/unread_notifications",
            SignedIn,
            Body::Empty,
        ),
    ),
    (
        "mark_notifications_read",
        call(
            "POST",
            "/api/fn/mark_notifications_read",
            SignedIn,
            Body::Empty,
        ),
    ),
    // Ends the caller's session, so it is called anonymously only (a no-op then).
    (
        "logout",
        call("POST", "/api/fn/logout", Public, Body::Empty),
    ),
    (
        "change_requests",
        call(
            "POST",
            "/api/fn/change_requests",
            Somewhere(P::TenantRead),
            Body::Json(r#"{"query":{}}"#),
        ),
    ),
    (
        "change_request",
        call(
            "POST",
            "/api/fn/change_request",
            Somewhere(P::TenantRead),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "change_options",
        call(
            "POST",
            "/api/fn/change_options",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "request_change",
        call(
            "POST",
            "/api/fn/request_change",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("form[tenant]", "{tenant}"), ("form[kind]", "suspend")]),
        ),
    ),
    (
        "upgrade_options",
        call(
            "POST",
            "/api/fn/upgrade_options",
            Tenant(P::UpdateExecute),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        // A release that does not exist: allowed callers get the field error.
        "request_upgrade",
        call(
            "POST",
            "/api/fn/request_upgrade",
            Tenant(P::UpdateExecute),
            Body::Form(&[
                ("slug", "{tenant}"),
                ("product", "nope"),
                ("version", "9.9.9"),
            ]),
        ),
    ),
    (
        "decide_change",
        call(
            "POST",
            "/api/fn/decide_change",
            Somewhere(P::UpdateApprove),
            Body::Form(&[("id", NOBODY), ("decision", "approve"), ("comment", "")]),
        ),
    ),
    (
        "cancel_change",
        call(
            "POST",
            "/api/fn/cancel_change",
            Somewhere(P::TenantRead),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "delay_change",
        call(
            "POST",
            "/api/fn/delay_change",
            Somewhere(P::UpdateApprove),
            Body::Form(&[("id", NOBODY), ("days", "1")]),
        ),
    ),
    (
        "saved_filters",
        call(
            "POST",
            "/api/fn/saved_filters",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "save_filter",
        call(
            "POST",
            "/api/fn/save_filter",
            Platform(P::TenantManage),
            Body::Form(&[("form[name]", "")]),
        ),
    ),
    (
        "delete_filter",
        call(
            "POST",
            "/api/fn/delete_filter",
            Platform(P::TenantManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "submit_change",
        call(
            "POST",
            "/api/fn/submit_change",
            Somewhere(P::TenantRead),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "pending_delay_requests",
        call(
            "POST",
            "/api/fn/pending_delay_requests",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "decide_delay_request",
        call(
            "POST",
            "/api/fn/decide_delay_request",
            Platform(P::UpdateApprove),
            Body::Form(&[("id", NOBODY), ("decision", "approve")]),
        ),
    ),
    (
        "pending_approval_count",
        call(
            "POST",
            "/api/fn/pending_approval_count",
            SignedIn,
            Body::Empty,
        ),
    ),
    (
        "health_of_tenant",
        call(
            "POST",
            "/api/fn/health_of_tenant",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "run_health_check",
        call(
            "POST",
            "/api/fn/run_health_check",
            Tenant(P::TenantManage),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "set_tenant_address",
        call(
            "POST",
            "/api/fn/set_tenant_address",
            Platform(P::TenantManage),
            Body::Form(&[("slug", "{tenant}"), ("base_url", "not a url")]),
        ),
    ),
    (
        "update_policy",
        call(
            "POST",
            "/api/fn/update_policy",
            Tenant(P::TenantRead),
            Body::Form(&[("tenant", "{tenant}")]),
        ),
    ),
    (
        "save_update_policy",
        call(
            "POST",
            "/api/fn/save_update_policy",
            Tenant(P::TenantManage),
            Body::Form(&[
                ("tenant", "{tenant}"),
                ("form[approval_mode]", ""),
                ("form[timezone]", ""),
                ("form[max_delay_days]", ""),
            ]),
        ),
    ),
    (
        "add_maintenance_window",
        call(
            "POST",
            "/api/fn/add_maintenance_window",
            Tenant(P::TenantManage),
            Body::Form(&[
                ("tenant", "{tenant}"),
                ("weekday", ""),
                ("start", ""),
                ("end", ""),
            ]),
        ),
    ),
    (
        "remove_maintenance_window",
        call(
            "POST",
            "/api/fn/remove_maintenance_window",
            Tenant(P::TenantManage),
            Body::Form(&[("tenant", "{tenant}"), ("id", NOBODY)]),
        ),
    ),
    (
        "add_blackout",
        call(
            "POST",
            "/api/fn/add_blackout",
            Tenant(P::TenantManage),
            Body::Form(&[
                ("tenant", "{tenant}"),
                ("starts", ""),
                ("ends", ""),
                ("reason", ""),
            ]),
        ),
    ),
    (
        "remove_blackout",
        call(
            "POST",
            "/api/fn/remove_blackout",
            SignedIn,
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "job_queue",
        call(
            "POST",
            "/api/fn/job_queue",
            Platform(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "list_alerts",
        call(
            "POST",
            "/api/fn/list_alerts",
            Platform(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "acknowledge_alert",
        call(
            "POST",
            "/api/fn/acknowledge_alert",
            Platform(P::UpdateExecute),
            Body::Form(&[("id", NOBODY), ("comment", "on it")]),
        ),
    ),
    (
        "service_levels",
        call(
            "POST",
            "/api/fn/service_levels",
            Platform(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "save_slo_targets",
        call(
            "POST",
            "/api/fn/save_slo_targets",
            Platform(P::SettingsManage),
            Body::Form(&[
                ("availability_percent", "99.9"),
                ("api_p95_ms", "200"),
                ("api_error_percent", "0.1"),
            ]),
        ),
    ),
    (
        "tenant_overview",
        call(
            "POST",
            "/api/fn/tenant_overview",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "tenant_trouble",
        call(
            "POST",
            "/api/fn/tenant_trouble",
            Somewhere(P::TenantRead),
            Body::Json(r#"{"query":{}}"#),
        ),
    ),
    (
        "plan_catalog",
        call(
            "POST",
            "/api/fn/plan_catalog",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "save_plan",
        call(
            "POST",
            "/api/fn/save_plan",
            Platform(P::SettingsManage),
            Body::Form(&[("code", "iso-fn-plan"), ("name", "Isolation")]),
        ),
    ),
    (
        "tenant_limits",
        call(
            "POST",
            "/api/fn/tenant_limits",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "set_quota_override",
        call(
            "POST",
            "/api/fn/set_quota_override",
            Platform(P::TenantManage),
            Body::Form(&[("slug", "{tenant}"), ("quota", "users"), ("limit", "")]),
        ),
    ),
    (
        "licence_templates",
        call(
            "POST",
            "/api/fn/licence_templates",
            Platform(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "save_licence_template",
        call(
            "POST",
            "/api/fn/save_licence_template",
            Platform(P::SettingsManage),
            Body::Form(&[
                ("key", "iso-fn-licence"),
                ("template_name", "Isolation"),
                ("licence_type", "trial"),
                ("seats", "1"),
                ("term_days", "30"),
            ]),
        ),
    ),
    (
        "assign_licence",
        call(
            "POST",
            "/api/fn/assign_licence",
            Platform(P::TenantManage),
            Body::Form(&[("slug", "{tenant}"), ("template", "no-such-template")]),
        ),
    ),
    (
        "renew_licence",
        call(
            "POST",
            "/api/fn/renew_licence",
            Platform(P::TenantManage),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "revoke_licence",
        call(
            "POST",
            "/api/fn/revoke_licence",
            Platform(P::TenantManage),
            Body::Form(&[("id", NOBODY), ("reason", "isolation")]),
        ),
    ),
    (
        "tenant_usage",
        call(
            "POST",
            "/api/fn/tenant_usage",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "organisation_usage",
        call(
            "POST",
            "/api/fn/organisation_usage",
            Platform(P::ReportRead),
            Body::Form(&[("month", "")]),
        ),
    ),
    (
        "import_cloud_resources",
        call(
            "POST",
            "/api/fn/import_cloud_resources",
            Platform(P::TenantManage),
            Body::Form(&[("csv", "provider,region")]),
        ),
    ),
    (
        "backups_of_tenant",
        call(
            "POST",
            "/api/fn/backups_of_tenant",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "request_tenant_backup",
        call(
            "POST",
            "/api/fn/request_tenant_backup",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "verify_tenant_backup",
        call(
            "POST",
            "/api/fn/verify_tenant_backup",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}"), ("backup_id", "latest")]),
        ),
    ),
    (
        "test_tenant_restore",
        call(
            "POST",
            "/api/fn/test_tenant_restore",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}"), ("backup_id", "latest")]),
        ),
    ),
    (
        "restore_tenant_backup",
        call(
            "POST",
            "/api/fn/restore_tenant_backup",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}"), ("backup_id", ""), ("confirm", "")]),
        ),
    ),
    (
        "set_backup_schedule",
        call(
            "POST",
            "/api/fn/set_backup_schedule",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}"), ("keep_daily", "many")]),
        ),
    ),
    (
        "legal_hold_of_tenant",
        call(
            "POST",
            "/api/fn/legal_hold_of_tenant",
            Platform(P::LegalHold),
            Body::Form(&[("slug", "{tenant}"), ("hold_reason", "")]),
        ),
    ),
    (
        "migrations_of_tenant",
        call(
            "POST",
            "/api/fn/migrations_of_tenant",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "migrate_tenant",
        call(
            "POST",
            "/api/fn/migrate_tenant",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}"), ("reason", ""), ("confirm", "")]),
        ),
    ),
    (
        "manifest_of_tenant",
        call(
            "POST",
            "/api/fn/manifest_of_tenant",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "plan_tenant_manifest",
        call(
            "POST",
            "/api/fn/plan_tenant_manifest",
            Somewhere(P::TenantRead),
            Body::Form(&[("content", "")]),
        ),
    ),
    (
        "offboarding_of_tenant",
        call(
            "POST",
            "/api/fn/offboarding_of_tenant",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "offboard_tenant",
        call(
            "POST",
            "/api/fn/offboard_tenant",
            Tenant(P::TenantLifecycle),
            Body::Form(&[("slug", "{tenant}"), ("reason", ""), ("confirm", "")]),
        ),
    ),
    (
        "secrets_of_tenant",
        call(
            "POST",
            "/api/fn/secrets_of_tenant",
            Tenant(P::TenantRead),
            Body::Form(&[("slug", "{tenant}")]),
        ),
    ),
    (
        "rotate_tenant_secret",
        call(
            "POST",
            "/api/fn/rotate_tenant_secret",
            Tenant(P::TenantLifecycle),
            Body::Form(&[
                ("slug", "{tenant}"),
                ("rotate_secret", "database"),
                ("new_value", "short"),
            ]),
        ),
    ),
    (
        "schedule_secret_rotation",
        call(
            "POST",
            "/api/fn/schedule_secret_rotation",
            Tenant(P::TenantLifecycle),
            Body::Form(&[
                ("slug", "{tenant}"),
                ("schedule_secret", "database"),
                ("interval_days", "0"),
            ]),
        ),
    ),
    (
        "request_plan_change",
        call(
            "POST",
            "/api/fn/request_plan_change",
            Platform(P::TenantManage),
            Body::Form(&[("slug", "{tenant}"), ("plan", "starter")]),
        ),
    ),
    (
        "alert_rules",
        call(
            "POST",
            "/api/fn/alert_rules",
            Platform(P::ReportRead),
            Body::Empty,
        ),
    ),
    (
        "save_alert_rule",
        call(
            "POST",
            "/api/fn/save_alert_rule",
            Platform(P::SettingsManage),
            Body::Form(&[("rule", "no_such_rule"), ("threshold", "")]),
        ),
    ),
    (
        "manage_job",
        call(
            "POST",
            "/api/fn/manage_job",
            Platform(P::UpdateExecute),
            Body::Form(&[("id", NOBODY), ("action", "retry")]),
        ),
    ),
    (
        "deployments",
        call(
            "POST",
            "/api/fn/deployments",
            Somewhere(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "deployment",
        call(
            "POST",
            "/api/fn/deployment",
            Somewhere(P::TenantRead),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "create_deployment",
        call(
            "POST",
            "/api/fn/create_deployment",
            Platform(P::TenantManage),
            Body::Form(&[
                ("form[tenant]", "{tenant}"),
                ("form[product]", ""),
                ("form[version]", ""),
            ]),
        ),
    ),
    (
        "start_switch",
        call(
            "POST",
            "/api/fn/start_switch",
            Somewhere(P::UpdateExecute),
            Body::Form(&[("id", NOBODY), ("form[version]", "1.0.0")]),
        ),
    ),
    (
        "switch_action",
        call(
            "POST",
            "/api/fn/switch_action",
            Somewhere(P::UpdateExecute),
            Body::Form(&[("id", NOBODY), ("action", "pause")]),
        ),
    ),
    (
        "save_switch_settings",
        call(
            "POST",
            "/api/fn/save_switch_settings",
            Somewhere(P::TenantManage),
            Body::Form(&[
                ("id", NOBODY),
                ("form[steps]", ""),
                ("form[bake_seconds]", ""),
                ("form[interval_seconds]", ""),
                ("form[max_error_rate]", ""),
                ("form[max_latency_ms]", ""),
                ("form[max_error_rate_over_live]", ""),
                ("form[max_latency_ratio_to_live]", ""),
                ("form[min_requests]", ""),
                ("form[max_consecutive_failures]", ""),
            ]),
        ),
    ),
    (
        "save_simulation",
        call(
            "POST",
            "/api/fn/save_simulation",
            Somewhere(P::TenantManage),
            Body::Form(&[
                ("id", NOBODY),
                ("form[requests_per_second]", ""),
                ("form[blue_error_rate]", ""),
                ("form[blue_latency_ms]", ""),
                ("form[green_error_rate]", ""),
                ("form[green_latency_ms]", ""),
            ]),
        ),
    ),
    (
        "save_health_baseline",
        call(
            "POST",
            "/api/fn/save_health_baseline",
            Platform(P::ReleaseManage),
            Body::Form(&[("product", "no-such-product"), ("checks", "")]),
        ),
    ),
    (
        "rollouts",
        call(
            "POST",
            "/api/fn/rollouts",
            Platform(P::TenantRead),
            Body::Empty,
        ),
    ),
    (
        "rollout",
        call(
            "POST",
            "/api/fn/rollout",
            Platform(P::TenantRead),
            Body::Form(&[("id", NOBODY)]),
        ),
    ),
    (
        "create_rollout",
        call(
            "POST",
            "/api/fn/create_rollout",
            Platform(P::UpdateExecute),
            Body::Form(&[
                ("form[name]", ""),
                ("form[product]", ""),
                ("form[target_version]", ""),
            ]),
        ),
    ),
    (
        "rollout_action",
        call(
            "POST",
            "/api/fn/rollout_action",
            Platform(P::UpdateExecute),
            Body::Form(&[("id", NOBODY), ("action", "pause")]),
        ),
    ),
];

struct Target {
    slug: &'static str,
    id: Uuid,
    crm: &'static str,
}

/// What the matrix says about `access` for `grants` on `target`:
/// `Ok(())` allowed, `Err(status)` the refusal expected.
fn expected(access: Access, grants: Option<&Grants>, target: &Target) -> Result<(), StatusCode> {
    let Some(grants) = grants else {
        return match access {
            Public => Ok(()),
            _ => Err(StatusCode::UNAUTHORIZED),
        };
    };
    let verdict = match access {
        Public | SignedIn => true,
        Platform(p) => grants.allows(p, Scope::Platform),
        Somewhere(p) => grants.allows_somewhere(p),
        Tenant(p) => {
            let scope = Scope::Tenant(target.id);
            if grants.allows(p, scope) {
                true
            } else if grants.allows(P::TenantRead, scope) {
                return Err(StatusCode::FORBIDDEN);
            } else {
                return Err(StatusCode::NOT_FOUND);
            }
        }
    };
    if verdict {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

fn fill(template: &str, target: &Target) -> String {
    template
        .replace("{tenant_id}", &target.id.to_string())
        .replace("{tenant}", target.slug)
        .replace("{crm}", target.crm)
}

async fn send(
    client: &reqwest::Client,
    app: &TestApp,
    call: &Call,
    target: &Target,
) -> (StatusCode, String) {
    let url = app.url(&fill(call.path, target));
    let request = match call.method {
        "GET" => client.get(url),
        "POST" => client.post(url),
        "PUT" => client.put(url),
        "DELETE" => client.delete(url),
        other => panic!("method {other}"),
    };
    let request = match call.body {
        Body::Empty => request,
        Body::Json(json) => request
            .header("content-type", "application/json")
            .body(fill(json, target)),
        Body::Form(fields) => {
            let filled: Vec<(&str, String)> =
                fields.iter().map(|(k, v)| (*k, fill(v, target))).collect();
            request.form(&filled)
        }
    };
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

/// Every path the router serves, read from the router itself (its route
/// table, as axum prints it), with the methods each answers (the `Allow`
/// header of a 405 for a method nobody serves).
async fn routes_of_the_router(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let router = crate::helpers::router_of(&app.test_db).await;
    let table = format!("{router:?}");
    let mut paths = BTreeSet::new();
    let mut rest = table.as_str();
    while let Some(at) = rest.find("RouteId(") {
        rest = &rest[at..];
        let Some(quote) = rest.find(": \"") else {
            break;
        };
        let after = &rest[quote + 3..];
        let Some(end) = after.find('"') else { break };
        paths.insert(after[..end].to_owned());
        rest = &after[end..];
    }
    assert!(
        paths.contains("/healthz") && paths.iter().any(|p| p.starts_with("/api/v1/")),
        "the route table was read: {paths:?}"
    );
    let mut routes = vec![];
    for path in paths {
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "x"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let answer = app
            .client
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
                app.url(&concrete),
            )
            .send()
            .await
            .unwrap();
        let methods = answer
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(|allow| {
                allow
                    .split(',')
                    .map(|m| m.trim().to_lowercase())
                    .filter(|m| m != "head")
                    .collect()
            })
            .unwrap_or_default();
        routes.push((path, methods));
    }
    routes
}

fn check(
    name: &str,
    who: &str,
    target: &Target,
    access: Access,
    want: Result<(), StatusCode>,
    got: StatusCode,
    failures: &mut Vec<String>,
) {
    let ok = match want {
        // Public calls answer for themselves (a wrong password is a 401).
        Ok(()) if matches!(access, Public) => {
            !got.is_server_error() && got != StatusCode::FORBIDDEN
        }
        Ok(()) => {
            !got.is_server_error()
                && got != StatusCode::UNAUTHORIZED
                && got != StatusCode::FORBIDDEN
                && !(got == StatusCode::NOT_FOUND && name.contains("{tenant}"))
        }
        Err(status) => got == status,
    };
    if !ok {
        failures.push(format!(
            "{name} as {who} on {}: expected {want:?}, got {got}",
            target.slug
        ));
    }
}

async fn every_route_and_server_function_obeys_the_permission_matrix(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let context = RequestContext::default();
    let regions = [Region::parse("eu-central-1").unwrap()];
    let mut ids = vec![];
    for (slug, crm) in [("tenant-a", "crm-a"), ("tenant-b", "crm-b")] {
        let form = NewTenantForm {
            external_crm: crm.into(),
            ..tenant_form(slug)
        };
        tenants::create(
            &app::backend::context::Ctx::of(&app.db, &admin, &context),
            &regions,
            &form,
        )
        .await
        .unwrap();
        tenant_config::set(
            &app::backend::context::Ctx::of(&app.db, &admin, &context),
            slug,
            "probe.key",
            "probe",
            false,
        )
        .await
        .unwrap();
        ids.push(
            tenants::detail(
                &app::backend::context::Ctx::of(&app.db, &admin, &Default::default()),
                slug,
            )
            .await
            .unwrap()
            .row
            .id,
        );
    }
    let targets = [
        Target {
            slug: "tenant-a",
            id: ids[0],
            crm: "crm-a",
        },
        Target {
            slug: "tenant-b",
            id: ids[1],
            crm: "crm-b",
        },
    ];

    // Every role signs in with a browser session of its own.
    let mut callers: Vec<(String, Option<Grants>, reqwest::Client)> =
        vec![("anonymous".into(), None, client())];
    for role in BuiltinRole::ALL {
        let tenant =
            (role.scope() == app::domain::access::permission::RoleScope::Tenant).then_some(ids[0]);
        let email = format!("{}@isolation.test", role.key().replace('_', "-"));
        let (email, password) = if role == BuiltinRole::PlatformAdmin {
            (ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD)
        } else {
            let mut new_user = users::NewUser::parse(&email, role.name(), PASSWORD, role).unwrap();
            if let Some(t) = tenant {
                new_user = new_user.at_tenant(t);
            }
            users::create_user(
                &app.db,
                &Actor::System("test"),
                &context,
                new_user,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
            (email, PASSWORD)
        };
        let browser = client();
        let login = browser
            .post(app.url("/api/fn/login"))
            .form(&[("email", email.as_str()), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::OK, "{email} signs in");
        let grants = principal_by_email(&app.db, &email)
            .await
            .unwrap()
            .unwrap()
            .grants;
        callers.push((role.key().to_owned(), Some(grants), browser));
    }

    // Classification is complete: every documented route and registered
    // server function is in the tables above, and nothing else is.
    let document = server::rest::document();
    // The document does not describe itself.
    let mut documented = BTreeSet::from(["get /api/v1/openapi.json".to_owned()]);
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("delete", &item.delete),
            ("patch", &item.patch),
        ] {
            if operation.is_some() {
                documented.insert(format!("{method} {path}"));
            }
        }
    }
    let classified: BTreeSet<String> = REST.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    assert_eq!(
        documented, classified,
        "every REST route must be classified in REST"
    );
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/fn/").to_owned())
        .collect();
    let classified: BTreeSet<String> = SERVER_FNS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(
        registered, classified,
        "every server function must be classified in SERVER_FNS"
    );

    // ... and so is everything the router itself serves: a route missing
    // from the OpenAPI document still fails here when nobody classified it.
    let pages: BTreeSet<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    let rest_routes: BTreeSet<String> = REST.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    let mut unclassified = vec![];
    for (path, methods) in routes_of_the_router(&app).await {
        // The fallbacks (a 404 problem for unknown API paths, the page
        // fallback for everything else) serve no data.
        let is_fallback = path.contains("__private__axum_fallback") || path == "/api/v1";
        let known = if is_fallback {
            methods.is_empty()
        } else if path.starts_with("/api/v1/") {
            !methods.is_empty()
                && methods
                    .iter()
                    .all(|m| rest_routes.contains(&format!("{m} {path}")))
        } else if let Some(name) = path.strip_prefix("/api/fn/") {
            SERVER_FNS.iter().any(|(n, _)| *n == name)
        } else {
            EXPORTS
                .iter()
                .any(|c| c.path.replace("{tenant}", "{slug}") == path)
                || PROBES.contains(&path.as_str())
                || pages.contains(&path)
        };
        if !known {
            unclassified.push(format!("{methods:?} {path}"));
        }
    }
    assert!(
        unclassified.is_empty(),
        "routes the router serves that nobody classified: {unclassified:?}"
    );

    let mut failures = vec![];
    let all_calls = REST
        .iter()
        .map(|(_, _, c)| c)
        .chain(SERVER_FNS.iter().map(|(_, c)| c))
        .chain(EXPORTS.iter());
    for call in all_calls {
        let per_tenant = call.path.contains("{tenant}")
            || matches!(call.body, Body::Form(f) if f.iter().any(|(_, v)| v.contains("{tenant")))
            || matches!(call.body, Body::Json(j) if j.contains("{tenant"))
            || call.path.contains("{crm}");
        let ends_session = call.path.ends_with("/logout");
        for (who, grants, browser) in &callers {
            if ends_session && grants.is_some() {
                continue;
            }
            for target in if per_tenant {
                &targets[..]
            } else {
                &targets[..1]
            } {
                let is_export = EXPORTS.iter().any(|e| std::ptr::eq(e, call));
                let want = match (is_export, grants) {
                    // A download without a session goes to the sign-in page.
                    (true, None) => Err(StatusCode::SEE_OTHER),
                    _ => expected(call.access, grants.as_ref(), target),
                };
                if call.path.contains("config/probe.key")
                    || call.path.ends_with("remove_tenant_config")
                {
                    // Something to remove, whoever removed it before.
                    tenant_config::set(
                        &app::backend::context::Ctx::of(&app.db, &admin, &context),
                        target.slug,
                        "probe.key",
                        "probe",
                        false,
                    )
                    .await
                    .unwrap();
                }
                let (got, body) = send(browser, &app, call, target).await;
                // What a tenant's people may call shows nothing of another tenant.
                let tenant_scoped = grants.as_ref().is_some_and(|g| g.platform.is_empty());
                if tenant_scoped
                    && want.is_ok()
                    && got.is_success()
                    && target.slug == "tenant-a"
                    && (body.contains(&ids[1].to_string()) || body.contains("tenant-b"))
                {
                    failures.push(format!(
                        "{} {} as {who} answered with tenant-b's data",
                        call.method, call.path
                    ));
                }
                let name = format!(
                    "{} {}",
                    call.method,
                    if per_tenant {
                        call.path.to_owned() + " {tenant}"
                    } else {
                        call.path.to_owned()
                    }
                );
                check(&name, who, target, call.access, want, got, &mut failures);
            }
        }
    }
    // Pages render on the server from the same services: to tenant A's
    // people (and to nobody signed in) they show nothing of tenant B, even
    // when the address names tenant B.
    for page in &pages {
        let path = page
            .split('/')
            .map(|segment| match segment {
                "{slug}" | "{tenant}" => "tenant-b".to_owned(),
                s if s.starts_with('{') => ids[1].to_string(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        for (who, grants, browser) in &callers {
            if grants.as_ref().is_some_and(|g| !g.platform.is_empty()) {
                continue;
            }
            let started = std::time::Instant::now();
            let ask = || {
                browser
                    .get(app.url(&path))
                    .timeout(std::time::Duration::from_secs(20))
                    .send()
            };
            // A page that gives no answer at all is asked once more, loudly: a
            // rare stall rendering pages on PostgreSQL under the full suite is
            // under investigation (issue 18's note). The second answer is held
            // to every assertion below; a second stall fails the test.
            let first = match ask().await {
                Err(e) if e.is_timeout() => {
                    eprintln!(
                        "WARNING: page {path} as {who}: no answer after {:?}; asking once more",
                        started.elapsed()
                    );
                    ask().await
                }
                other => other,
            };
            let answer = match first {
                Ok(answer) => answer,
                Err(e) => {
                    failures.push(format!(
                        "page {path} as {who}: no answer after {:?}: {e}",
                        started.elapsed()
                    ));
                    continue;
                }
            };
            let status = answer.status();
            let body = match answer.text().await {
                Ok(body) => body,
                Err(e) => {
                    failures.push(format!(
                        "page {path} as {who}: the page did not finish after {:?}: {e}",
                        started.elapsed()
                    ));
                    continue;
                }
            };
            if status.is_server_error() {
                failures.push(format!("page {path} as {who}: {status}"));
            }
            if body.contains(&ids[1].to_string())
                || body.contains("Customer of tenant-b")
                || body.contains("Tenant tenant-b")
                || body.contains("crm-b")
            {
                failures.push(format!("page {path} as {who} shows tenant-b's data"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} calls broke the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

crate::on_both_databases!(every_route_and_server_function_obeys_the_permission_matrix);
