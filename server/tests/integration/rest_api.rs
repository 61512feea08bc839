//! The REST API over real HTTP: authentication, every route with good and
//! bad input, problem details, the OpenAPI document and the CLI client.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, TestApp, TestDb, spawn_app};
use app::backend::audit::RequestContext;
use app::backend::services::access::api_tokens;
use app::backend::services::access::auth::principal_by_email;

/// A live API token of the first admin.
async fn token(app: &TestApp) -> String {
    let admin = principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    api_tokens::create(
        &app::backend::context::Ctx::of(&app.db, &admin, &RequestContext::default()),
        "tests",
        "",
        "",
    )
    .await
    .unwrap()
    .token
}

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        if !status.is_success() {
            assert_eq!(
                response.headers()[CONTENT_TYPE],
                "application/problem+json",
                "errors are problem documents"
            );
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }
}

async fn api(app: &TestApp) -> Api<'_> {
    Api {
        app,
        token: token(app).await,
    }
}

fn tenant_body(slug: &str) -> Value {
    json!({
        "customer": "Acme Corp",
        "slug": slug,
        "display_name": format!("Acme {slug}"),
        "environment": "production",
        "deployment_kind": "standard",
        "isolation_mode": "dedicated",
        "plan_code": "professional",
        "region": "eu-central-1",
        "allowed_regions": ["eu-central-1", "eu-west-1"],
        "contacts": { "technical": "ops@acme.example" },
        "external_ids": { "crm": "CRM-0042" },
        "labels": ["pilot", "emea"]
    })
}

fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn the_api_needs_a_valid_token_or_a_session(db: TestDb) {
    let app = spawn_app(db).await;
    let anonymous = app.get("/api/v1/tenants").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()[CONTENT_TYPE],
        "application/problem+json"
    );

    let forged = Api {
        app: &app,
        token: "tnt_not-a-real-token".into(),
    };
    assert_eq!(forged.get("/tenants").await.0, StatusCode::UNAUTHORIZED);
    let basic = app
        .client
        .get(app.url("/api/v1/tenants"))
        .basic_auth("admin", Some("pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    let api = api(&app).await;
    assert_eq!(api.get("/tenants").await.0, StatusCode::OK);
    let admin = principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let listed = api_tokens::list(&app::backend::context::Ctx::of(
        &app.db,
        &admin,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert!(listed[0].last_used_at.is_some(), "last use is recorded");
    assert!(
        !format!("{listed:?}").contains(&api.token),
        "the secret is never listed"
    );

    api_tokens::revoke(
        &app::backend::context::Ctx::of(&app.db, &admin, &RequestContext::default()),
        listed[0].id,
    )
    .await
    .unwrap();
    assert_eq!(
        api.get("/tenants").await.0,
        StatusCode::UNAUTHORIZED,
        "a revoked token stops working"
    );

    // The browser's session works too.
    app.login(ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    assert_eq!(app.get("/api/v1/tenants").await.status(), StatusCode::OK);
}

async fn tenants_are_created_read_searched_and_updated(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;
    let response = app
        .client
        .post(app.url("/api/v1/tenants"))
        .bearer_auth(&api.token)
        .json(&tenant_body("acme-prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["state"], "draft");
    assert_eq!(created["contacts"]["technical"], "ops@acme.example");
    assert_eq!(
        location,
        format!("/api/v1/tenants/{}", created["id"].as_str().unwrap())
    );

    let (status, by_id) = api.get(location.trim_start_matches("/api/v1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id["slug"], "acme-prod");
    let (_, by_slug) = api.get("/tenants/acme-prod").await;
    assert_eq!(by_slug["id"], created["id"]);
    let (status, by_crm) = api.get("/tenants/by-external-id/crm/CRM-0042").await;
    assert_eq!(
        (status, &by_crm["slug"]),
        (StatusCode::OK, &json!("acme-prod"))
    );
    assert_eq!(
        api.get("/tenants/by-external-id/crm/CRM-0043").await.0,
        StatusCode::NOT_FOUND
    );

    for i in 0..4 {
        let mut body = tenant_body(&format!("globex-{i}"));
        body["customer"] = json!("Globex");
        body["environment"] = json!("staging");
        assert_eq!(api.post("/tenants", body).await.0, StatusCode::CREATED);
    }
    let (status, page) = api
        .get("/tenants?environment=staging&per_page=3&page=2&sort=slug&dir=desc")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["pagination"],
        json!({ "page": 2, "per_page": 3, "total": 4, "total_pages": 2 })
    );
    assert_eq!(page["items"][0]["slug"], "globex-0");
    let (_, found) = api.get("/tenants?q=GLOBEX").await;
    assert_eq!(found["pagination"]["total"], 4);
    let (_, found) = api.get("/tenants?q=crm-0042&environment=production").await;
    assert_eq!(
        found["items"][0]["slug"], "acme-prod",
        "free text covers external ids"
    );

    let version = by_slug["version"].as_i64().unwrap();
    let edit = json!({
        "version": version,
        "display_name": "Acme Production",
        "plan_code": "professional",
        "labels": ["pilot"],
        "contacts": { "billing": "billing@acme.example" }
    });
    let (status, updated) = api.put("/tenants/acme-prod", edit.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            updated["display_name"].as_str(),
            updated["version"].as_i64()
        ),
        (Some("Acme Production"), Some(version + 1))
    );

    let (status, stale) = api.put("/tenants/acme-prod", edit).await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version is refused");
    assert!(
        stale["detail"].as_str().unwrap().contains("Reload"),
        "{stale}"
    );
}

async fn bad_input_gets_problem_details_never_a_500(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;

    let mut bad = tenant_body("9-Bad Slug");
    bad["contacts"] = json!({ "billing": "not-an-email" });
    let (status, problem) = api.post("/tenants", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&problem), ["slug", "contacts.billing"]);

    let mut unknown_region = tenant_body("acme-x");
    unknown_region["region"] = json!("mars-north-1");
    unknown_region["allowed_regions"] = json!(["mars-north-1"]);
    let (status, problem) = api.post("/tenants", unknown_region).await;
    assert_eq!(
        (status, error_fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["region".to_owned()])
    );
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("configured regions")
    );

    let mut outside = tenant_body("acme-y");
    outside["region"] = json!("us-east-1");
    let (status, problem) = api.post("/tenants", outside).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("allowed regions"),
        "{problem}"
    );

    let mut unknown_field = tenant_body("acme-z");
    unknown_field["colour"] = json!("blue");
    let (status, problem) = api.post("/tenants", unknown_field).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"].as_str().unwrap().contains("colour"),
        "{problem}"
    );

    let malformed = app
        .client
        .post(app.url("/api/v1/tenants"))
        .bearer_auth(&api.token)
        .header(CONTENT_TYPE, "application/json")
        .body("{\"slug\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.headers()[CONTENT_TYPE],
        "application/problem+json"
    );

    let not_json = app
        .client
        .post(app.url("/api/v1/tenants"))
        .bearer_auth(&api.token)
        .body("slug=acme")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (status, problem) = api
        .get("/tenants?per_page=1000&sort=colour&state=sleeping")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&problem), ["state", "sort", "per_page"]);
    assert_eq!(
        api.get("/tenants?page=abc").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.get("/tenants?colour=blue").await.0,
        StatusCode::BAD_REQUEST
    );

    for path in [
        "/tenants/nope",
        "/tenants/00000000-0000-0000-0000-000000000000",
        "/tenants/nope/config",
        "/tenants/nope/audit",
        "/no-such-endpoint",
    ] {
        assert_eq!(api.get(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        api.post("/tenants/nope/transitions", json!({ "action": "suspend" }))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.call(reqwest::Method::PATCH, "/tenants", None).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let (status, problem) = api.get("/audit?from=yesterday").await;
    assert_eq!(
        (status, error_fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["from".to_owned()])
    );
}

async fn lifecycle_actions_run_through_the_api(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;
    api.post("/tenants", tenant_body("acme-prod")).await;

    let (status, started) = api
        .post(
            "/tenants/acme-prod/transitions",
            json!({ "action": "activate" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "activation is long: it goes through provisioning"
    );
    assert_eq!(
        (started["status"].as_str(), started["target"].as_str()),
        (Some("started"), Some("active"))
    );
    assert_eq!(started["tenant"]["state"], "provisioning");
    app::backend::services::platform::work::finish_immediately(&app.db)
        .await
        .unwrap();

    let (status, suspended) = api
        .post(
            "/tenants/acme-prod/transitions",
            json!({ "action": "suspend" }),
        )
        .await;
    assert_eq!(
        (status, suspended["tenant"]["state"].as_str()),
        (StatusCode::OK, Some("suspended"))
    );
    let (status, again) = api
        .post(
            "/tenants/acme-prod/transitions",
            json!({ "action": "suspend" }),
        )
        .await;
    assert_eq!(
        (status, again["status"].as_str()),
        (StatusCode::OK, Some("already_done")),
        "repeats are idempotent"
    );

    let (status, refused) = api
        .post(
            "/tenants/acme-prod/transitions",
            json!({ "action": "upgrade" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !refused["detail"].as_str().unwrap().is_empty(),
        "the refusal says why"
    );
    let (status, stale) = api
        .post(
            "/tenants/acme-prod/transitions",
            json!({ "action": "resume", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    assert_eq!(
        api.post(
            "/tenants/acme-prod/transitions",
            json!({ "action": "explode" })
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    let (status, _) = api.delete("/tenants/acme-prod").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only archived tenants can be decommissioned"
    );
    // The suspension's executor step runs first: a second lifecycle move
    // waits for the one still running.
    app::backend::services::platform::work::finish_immediately(&app.db)
        .await
        .unwrap();
    let (_, archived) = api
        .post(
            "/tenants/acme-prod/transitions",
            json!({ "action": "archive" }),
        )
        .await;
    app::backend::services::platform::work::finish_immediately(&app.db)
        .await
        .unwrap();
    assert!(archived["tenant"]["state"].is_string());
    let (status, deleted) = api.delete("/tenants/acme-prod").await;
    assert!(status.is_success(), "{deleted}");
    app::backend::services::platform::work::finish_immediately(&app.db)
        .await
        .unwrap();
    let (status, kept) = api.get("/tenants/acme-prod").await;
    assert_eq!(status, StatusCode::OK, "decommissioning keeps the record");
    assert_eq!(kept["state"], "deleted");

    let (_, history) = api.get("/tenants/acme-prod/audit?limit=3").await;
    assert_eq!(history["items"].as_array().unwrap().len(), 3);
    let cursor = history["next_cursor"].as_str().unwrap();
    let (_, older) = api
        .get(&format!("/tenants/acme-prod/audit?cursor={cursor}"))
        .await;
    let actions: Vec<&str> = older["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.last(), Some(&"tenant.create"), "{actions:?}");
    assert_eq!(
        api.get("/tenants/acme-prod/audit?tenant=other").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn config_secrets_are_write_only_over_the_api(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;
    api.post("/tenants", tenant_body("acme-prod")).await;
    let (status, _) = api
        .put(
            "/tenants/acme-prod/config",
            json!({ "key": "smtp.host", "value": "mail.acme.example" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, config) = api
        .put(
            "/tenants/acme-prod/config",
            json!({ "key": "smtp.password", "value": "hunter2-very-secret", "secret": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let entries = config["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let secret = entries
        .iter()
        .find(|e| e["key"] == "smtp.password")
        .unwrap();
    assert_eq!(
        (secret["value"].clone(), secret["is_secret"].clone()),
        (Value::Null, json!(true))
    );

    let (status, problem) = api
        .put(
            "/tenants/acme-prod/config",
            json!({ "key": "Not A Key!", "value": "x" }),
        )
        .await;
    assert_eq!(
        (status, error_fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["key".to_owned()])
    );

    let (_, tenant_audit) = api.get("/tenants/acme-prod/audit").await;
    let (_, global_audit) = api
        .get("/audit?tenant=acme-prod&action=tenant.config")
        .await;
    assert_eq!(global_audit["items"].as_array().unwrap().len(), 2);
    let (_, got) = api.get("/tenants/acme-prod/config").await;
    for body in [tenant_audit, global_audit, got] {
        assert!(
            !body.to_string().contains("hunter2"),
            "a secret never leaves the server: {body}"
        );
    }

    assert_eq!(
        api.delete("/tenants/acme-prod/config/smtp.host").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.delete("/tenants/acme-prod/config/smtp.host").await.0,
        StatusCode::NOT_FOUND
    );
}

/// The problem documents clients parse, kept as snapshots: a change to their
/// shape or wording shows up in review (`cargo insta review`), not in a
/// customer's integration.
async fn problem_documents_keep_their_shape(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;
    let mut documents = serde_json::Map::new();

    let anonymous = app
        .client
        .get(app.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    documents.insert("401 no token".into(), anonymous.json().await.unwrap());

    let mut bad = tenant_body("9-Bad Slug");
    bad["contacts"] = json!({ "billing": "not-an-email" });
    documents.insert(
        "422 invalid tenant".into(),
        api.post("/tenants", bad).await.1,
    );

    let mut unknown_field = tenant_body("acme-z");
    unknown_field["colour"] = json!("blue");
    documents.insert(
        "400 unknown field".into(),
        api.post("/tenants", unknown_field).await.1,
    );

    documents.insert(
        "422 bad list query".into(),
        api.get("/tenants?state=gone&sort=colour&dir=up&per_page=0")
            .await
            .1,
    );
    documents.insert(
        "404 no such tenant".into(),
        api.get("/tenants/no-such-tenant").await.1,
    );
    documents.insert(
        "404 no such route".into(),
        api.get("/no-such-route").await.1,
    );

    insta::assert_json_snapshot!("problem_documents", documents);
}

async fn the_openapi_document_describes_every_route(db: TestDb) {
    let app = spawn_app(db).await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    // The public contract, reviewed like code: any change shows in the diff.
    insta::assert_json_snapshot!("openapi_document", document);
    let paths = document["paths"].as_object().unwrap();
    let mut listed: Vec<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "DELETE /api/v1/policies/{id}",
            "DELETE /api/v1/saved-filters/{id}",
            "DELETE /api/v1/tenants/{id}",
            "DELETE /api/v1/tenants/{id}/config/{key}",
            "DELETE /api/v1/tenants/{id}/legal-hold",
            "GET /api/v1/agents/assignments",
            "GET /api/v1/alert-rules",
            "GET /api/v1/alerts",
            "GET /api/v1/approvals",
            "GET /api/v1/audit",
            "GET /api/v1/change-requests",
            "GET /api/v1/change-requests/{id}",
            "GET /api/v1/compliance",
            "GET /api/v1/delay-requests",
            "GET /api/v1/deployments",
            "GET /api/v1/deployments/{id}",
            "GET /api/v1/deployments/{id}/health-runs",
            "GET /api/v1/event-types",
            "GET /api/v1/events",
            "GET /api/v1/events/stream",
            "GET /api/v1/extension-requests",
            "GET /api/v1/health-baselines",
            "GET /api/v1/jobs",
            "GET /api/v1/licence-templates",
            "GET /api/v1/licences/public-key",
            "GET /api/v1/licences/{id}/document",
            "GET /api/v1/plans",
            "GET /api/v1/plans/{code}",
            "GET /api/v1/policies",
            "GET /api/v1/products",
            "GET /api/v1/releases",
            "GET /api/v1/rollouts",
            "GET /api/v1/rollouts/{id}",
            "GET /api/v1/saved-filters",
            "GET /api/v1/schemas/tenant-manifest.json",
            "GET /api/v1/service-levels",
            "GET /api/v1/tenant-trouble",
            "GET /api/v1/tenants",
            "GET /api/v1/tenants/by-external-id/{system}/{value}",
            "GET /api/v1/tenants/{id}",
            "GET /api/v1/tenants/{id}/audit",
            "GET /api/v1/tenants/{id}/backups",
            "GET /api/v1/tenants/{id}/cloud-resources",
            "GET /api/v1/tenants/{id}/compliance",
            "GET /api/v1/tenants/{id}/config",
            "GET /api/v1/tenants/{id}/endpoints",
            "GET /api/v1/tenants/{id}/export",
            "GET /api/v1/tenants/{id}/health",
            "GET /api/v1/tenants/{id}/licences",
            "GET /api/v1/tenants/{id}/limits",
            "GET /api/v1/tenants/{id}/manifest",
            "GET /api/v1/tenants/{id}/migrations",
            "GET /api/v1/tenants/{id}/offboarding",
            "GET /api/v1/tenants/{id}/offboarding/export",
            "GET /api/v1/tenants/{id}/overview",
            "GET /api/v1/tenants/{id}/secrets",
            "GET /api/v1/tenants/{id}/update-policy",
            "GET /api/v1/tenants/{id}/usage",
            "GET /api/v1/tenants/{id}/usage/export",
            "GET /api/v1/usage",
            "GET /api/v1/usage/export",
            "GET /api/v1/webhooks",
            "GET /api/v1/webhooks/{id}",
            "POST /api/v1/agents/assignments/{id}",
            "POST /api/v1/agents/register",
            "POST /api/v1/agents/report",
            "POST /api/v1/agents/usage",
            "POST /api/v1/alerts/{id}/acknowledge",
            "POST /api/v1/change-requests",
            "POST /api/v1/change-requests/{id}/cancel",
            "POST /api/v1/change-requests/{id}/decision",
            "POST /api/v1/change-requests/{id}/delay",
            "POST /api/v1/change-requests/{id}/submit",
            "POST /api/v1/cloud-resources",
            "POST /api/v1/cloud-resources/import",
            "POST /api/v1/delay-requests/{id}/decision",
            "POST /api/v1/deployments",
            "POST /api/v1/deployments/{id}/switch",
            "POST /api/v1/deployments/{id}/{action}",
            "POST /api/v1/executor/callback",
            "POST /api/v1/extension-requests/{id}/decision",
            "POST /api/v1/licence-templates",
            "POST /api/v1/licences/{id}/renew",
            "POST /api/v1/licences/{id}/revoke",
            "POST /api/v1/manifests/plan",
            "POST /api/v1/plans",
            "POST /api/v1/products",
            "POST /api/v1/releases",
            "POST /api/v1/rollouts",
            "POST /api/v1/rollouts/{id}/{action}",
            "POST /api/v1/saved-filters",
            "POST /api/v1/saved-filters/{id}/change-requests",
            "POST /api/v1/tenants",
            "POST /api/v1/tenants/{id}/backups",
            "POST /api/v1/tenants/{id}/backups/{backup}/restore-test",
            "POST /api/v1/tenants/{id}/backups/{backup}/verify",
            "POST /api/v1/tenants/{id}/extension-requests",
            "POST /api/v1/tenants/{id}/health/runs",
            "POST /api/v1/tenants/{id}/legal-hold",
            "POST /api/v1/tenants/{id}/licences",
            "POST /api/v1/tenants/{id}/migrations",
            "POST /api/v1/tenants/{id}/offboarding",
            "POST /api/v1/tenants/{id}/plan-change",
            "POST /api/v1/tenants/{id}/products",
            "POST /api/v1/tenants/{id}/restore",
            "POST /api/v1/tenants/{id}/secrets/{name}/rotate",
            "POST /api/v1/tenants/{id}/transitions",
            "POST /api/v1/usage",
            "POST /api/v1/webhooks",
            "POST /api/v1/webhooks/{id}/replay",
            "POST /api/v1/webhooks/{id}/requeue",
            "POST /api/v1/webhooks/{id}/rotate-secret",
            "POST /api/v1/webhooks/{id}/test",
            "PUT /api/v1/alert-rules/{rule}",
            "PUT /api/v1/deployments/{id}/settings",
            "PUT /api/v1/deployments/{id}/simulation",
            "PUT /api/v1/health-baselines/{product}",
            "PUT /api/v1/plans/{code}",
            "PUT /api/v1/policies",
            "PUT /api/v1/service-levels/targets",
            "PUT /api/v1/tenants/{id}",
            "PUT /api/v1/tenants/{id}/backups/schedule",
            "PUT /api/v1/tenants/{id}/config",
            "PUT /api/v1/tenants/{id}/health/address",
            "PUT /api/v1/tenants/{id}/limits/override",
            "PUT /api/v1/tenants/{id}/secrets/{name}/schedule",
            "PUT /api/v1/tenants/{id}/update-policy",
            "PUT /api/v1/webhooks/{id}/enabled",
        ]
    );
    assert!(document["components"]["schemas"]["Problem"].is_object());
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());

    // Every operation declares each parameter of its path (a generated
    // client or a fuzzer cannot call it otherwise) and its answers.
    let mut incomplete = vec![];
    for (path, item) in paths {
        let names: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split('}').next())
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter(|p| p["in"] == "path" && p["required"] == true)
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            for name in &names {
                if !declared.contains(name) {
                    incomplete.push(format!("{method} {path}: {{{name}}} is not declared"));
                }
            }
            if operation["responses"]
                .as_object()
                .is_none_or(|answers| answers.is_empty())
            {
                incomplete.push(format!("{method} {path}: no responses"));
            }
        }
    }
    assert!(incomplete.is_empty(), "{incomplete:#?}");
}

async fn the_cli_works_through_the_api_with_a_token(db: TestDb) {
    let app = spawn_app(db).await;
    let token = token(&app).await;
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .args(args)
            .env("TENANTRY_URL", &app.address)
            .env("TENANTRY_TOKEN", &token)
            .env("DATABASE_URL", "sqlite::memory:")
            .output()
            .expect("run tenantry");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = cli(&[
        "tenants",
        "create",
        "--slug",
        "cli-made",
        "--name",
        "CLI Made",
        "--customer",
        "Acme",
        "--plan",
        "starter",
        "--region",
        "eu-west-1",
        "--label",
        "pilot",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("Created tenant cli-made"), "{out}");

    let (ok, out, err) = cli(&[
        "tenants",
        "create",
        "--slug",
        "x",
        "--name",
        "X",
        "--customer",
        "Acme",
        "--plan",
        "starter",
        "--region",
        "eu-west-1",
    ]);
    assert!(!ok, "a bad slug fails the command");
    assert!(err.contains("slug:"), "and names the field: {out}{err}");

    let (ok, out, _) = cli(&["tenants", "transition", "cli-made", "activate"]);
    assert!(ok && out.contains("provisioning"), "{out}");
    let (ok, out, _) = cli(&["tenants", "list", "--q", "cli", "--json"]);
    assert!(ok);
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["items"][0]["slug"], "cli-made");
    let (ok, out, _) = cli(&["tenants", "show", "cli-made"]);
    assert!(ok && out.contains("region:          eu-west-1"), "{out}");
    let (ok, _, err) = cli(&["tenants", "show", "nope"]);
    assert!(!ok && err.contains("404"), "{err}");
}

/// The tenant list refuses the same bad query through both doors: the API
/// with a 422 naming each field, the page with the same messages (never a
/// silently different list).
async fn the_page_and_the_api_refuse_the_same_list_query(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;
    let query = "state=gone&sort=colour&dir=up&per_page=0";
    let (status, problem) = api.get(&format!("/tenants?{query}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(error_fields(&problem), ["state", "sort", "dir", "per_page"]);

    app.login(ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    let page = app
        .client
        .get(app.url(&format!("/tenants?{query}")))
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the page renders, saying what is wrong"
    );
    let html = page.text().await.unwrap();
    for error in problem["errors"].as_array().unwrap() {
        let message = error["message"].as_str().unwrap();
        assert!(html.contains(message), "the page says {message:?}");
    }
}

/// JSON arrays stay arrays end to end: a label holding a comma is refused
/// with a field error instead of silently becoming two labels.
async fn a_list_item_with_a_comma_is_refused_not_split(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;
    let mut body = tenant_body("comma-co");
    body["labels"] = json!(["eu,pilot"]);
    let (status, problem) = api.post("/tenants", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "labels", "{problem}");
    body["labels"] = json!(["eu", "pilot"]);
    body["allowed_regions"] = json!(["eu-central-1,eu-west-1"]);
    let (status, problem) = api.post("/tenants", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["errors"][0]["field"], "allowed_regions",
        "{problem}"
    );

    body["allowed_regions"] = json!(["eu-central-1", "eu-west-1"]);
    let (status, created) = api.post("/tenants", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["labels"], json!(["eu", "pilot"]));
    let (status, problem) = api
        .put(
            "/tenants/comma-co",
            json!({ "version": created["version"], "display_name": "Comma Co", "plan_code": "starter", "labels": ["a,b"], "contacts": {} }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "labels", "{problem}");
    let (_, unchanged) = api.get("/tenants/comma-co").await;
    assert_eq!(
        unchanged["labels"],
        json!(["eu", "pilot"]),
        "nothing was written"
    );
}

/// A filter names only words the product knows: an unknown change status or
/// kind, or job status, is a 422 naming the field — not an empty list that
/// looks like "nothing matches".
async fn list_filters_refuse_words_they_do_not_know(db: TestDb) {
    let app = spawn_app(db).await;
    let api = api(&app).await;
    for (path, field) in [
        ("/change-requests?status=finished", "status"),
        ("/change-requests?kind=reboot", "kind"),
        ("/jobs?status=finished", "status"),
    ] {
        let (status, problem) = api.get(path).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(error_fields(&problem), [field], "{path}");
    }
    for path in [
        "/change-requests?status=scheduled&kind=upgrade",
        "/jobs?status=dead",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

crate::on_both_databases!(
    the_api_needs_a_valid_token_or_a_session,
    a_list_item_with_a_comma_is_refused_not_split,
    list_filters_refuse_words_they_do_not_know,
    the_page_and_the_api_refuse_the_same_list_query,
    tenants_are_created_read_searched_and_updated,
    bad_input_gets_problem_details_never_a_500,
    lifecycle_actions_run_through_the_api,
    config_secrets_are_write_only_over_the_api,
    the_openapi_document_describes_every_route,
    problem_documents_keep_their_shape,
    the_cli_works_through_the_api_with_a_token,
);
