//! Signing in and out over HTTP, like a browser would.

use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestDb, spawn_app};
use app::backend::entities::{audit_event, session};

async fn a_logged_out_page_request_redirects_to_login_and_back(db: TestDb) {
    let app = spawn_app(db).await;
    let response = app.get("/tenants?q=acme").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/login?next=%2Ftenants%3Fq%3Dacme"
    );

    let login_page = app.get("/login").await;
    assert_eq!(login_page.status(), StatusCode::OK);
    let html = login_page.text().await.unwrap();
    assert!(
        html.contains("Sign in"),
        "the login page renders on the server"
    );
}

async fn a_wrong_password_gets_one_generic_message(db: TestDb) {
    let app = spawn_app(db).await;
    let wrong_password = app.login(ADMIN_EMAIL, "not the password at all").await;
    let unknown_user = app
        .login("nobody@tenantry.test", "not the password at all")
        .await;
    for response in [wrong_password, unknown_user] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response.headers().get(SET_COOKIE).is_none(),
            "no session for a failed login"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("InvalidCredentials"), "{body}");
    }
    let dashboard = app.get("/").await;
    assert_eq!(dashboard.status(), StatusCode::SEE_OTHER);
}

async fn empty_fields_get_field_level_errors(db: TestDb) {
    let app = spawn_app(db).await;
    let response = app.login("  ", "").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["Validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
}

async fn the_right_password_gives_a_safe_session_cookie_that_opens_the_dashboard(db: TestDb) {
    let app = spawn_app(db).await;
    let response = app.login(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("tenantry_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http by default: {cookie}"
    );

    let dashboard = app.get("/").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert!(
        html.contains("Platform Admin"),
        "the signed-in user's name is shown"
    );
    assert!(
        html.contains("data-testid=\"users-total\""),
        "the dashboard shows real counts"
    );
    assert!(
        html.contains("auth.login"),
        "the login appears in recent activity"
    );
}

async fn signing_in_again_rotates_the_session_id(db: TestDb) {
    let app = spawn_app(db).await;
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let first_cookie = first.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let second = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let second_cookie = second.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first_cookie, second_cookie);

    // The old id no longer opens anything.
    let stale = crate::helpers::client()
        .get(app.url("/"))
        .header("cookie", first_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 1);
}

async fn logout_destroys_the_server_side_session(db: TestDb) {
    let app = spawn_app(db).await;
    let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = login.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 1);

    let logout = app.logout().await;
    assert!(logout.status().is_success() || logout.status().is_redirection());
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0);

    // Replaying the old cookie does not bring the session back.
    let replay = crate::helpers::client()
        .get(app.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

async fn sessions_survive_a_server_restart(db: TestDb) {
    let mut app = spawn_app(db).await;
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.restart().await;
    let dashboard = app.get("/").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
}

async fn login_success_failure_and_logout_are_audited(db: TestDb) {
    let app = spawn_app(db).await;
    app.login(ADMIN_EMAIL, "wrong password here").await;
    app.client
        .post(app.url("/api/fn/login"))
        .header("x-request-id", "req-under-test")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    app.logout().await;

    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Action.is_in(["auth.login", "auth.logout"]))
        .order_by_asc(audit_event::Column::OccurredAt)
        .all(&app.db)
        .await
        .unwrap();
    let summary: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("auth.login", "failure"),
            ("auth.login", "success"),
            ("auth.logout", "success")
        ]
    );
    assert_eq!(events[0].actor_label, ADMIN_EMAIL);
    assert!(events[0].details.contains("wrong_password"));
    assert_eq!(events[1].request_id.as_deref(), Some("req-under-test"));
    assert!(events[1].actor_id.is_some());
}

async fn a_cross_site_post_is_refused(db: TestDb) {
    let app = spawn_app(db).await;
    let response = app
        .client
        .post(app.url("/api/fn/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(SET_COOKIE).is_none());
}

async fn a_form_post_without_javascript_redirects_with_the_error_or_to_next(db: TestDb) {
    let app = spawn_app(db).await;
    let failed = app
        .client
        .post(app.url("/api/fn/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login?next=%2Faudit"))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", "wrong password here"),
            ("next", "/audit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::FOUND);
    let location = failed.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    assert!(location.contains("next=%2Faudit"), "{location}");
    let page = app
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Email or password is incorrect."));

    let succeeded = app
        .client
        .post(app.url("/api/fn/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login?next=%2Faudit"))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", "/audit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(succeeded.status(), StatusCode::FOUND);
    assert_eq!(succeeded.headers()[LOCATION], "/audit");
}

async fn an_unknown_page_is_a_404_for_a_signed_in_user(db: TestDb) {
    let app = spawn_app(db).await;
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

async fn the_audit_csv_needs_a_session_and_downloads_as_csv(db: TestDb) {
    let app = spawn_app(db).await;
    let anonymous = app.get("/audit/export.csv").await;
    assert_eq!(
        anonymous.status(),
        StatusCode::SEE_OTHER,
        "logged-out visitors are sent to the login page"
    );
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let export = app.get("/audit/export.csv?action=auth.").await;
    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(export.headers()["content-type"], "text/csv; charset=utf-8");
    let body = export.text().await.unwrap();
    assert!(body.starts_with("occurred_at,actor,action"));
    assert!(body.contains("auth.login"));
    let bad = app.get("/audit/export.csv?from=yesterday").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

crate::on_both_databases!(
    the_audit_csv_needs_a_session_and_downloads_as_csv,
    a_logged_out_page_request_redirects_to_login_and_back,
    a_wrong_password_gets_one_generic_message,
    empty_fields_get_field_level_errors,
    the_right_password_gives_a_safe_session_cookie_that_opens_the_dashboard,
    signing_in_again_rotates_the_session_id,
    logout_destroys_the_server_side_session,
    sessions_survive_a_server_restart,
    login_success_failure_and_logout_are_audited,
    a_cross_site_post_is_refused,
    a_form_post_without_javascript_redirects_with_the_error_or_to_next,
    an_unknown_page_is_a_404_for_a_signed_in_user,
);
