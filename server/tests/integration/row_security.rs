//! Defence in depth on PostgreSQL (migration 000007): inside a scoped read,
//! a query that forgot its tenant filter still sees only the scoped
//! tenants' rows, and the scope never outlives its transaction on a pooled
//! connection. PostgreSQL only: SQLite has no row-level security.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use crate::helpers::{ADMIN_EMAIL, TestDb, tenant_form};
use app::backend::audit::RequestContext;
use app::backend::db::scoped_read;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::users;
use app::backend::services::tenants;
use app::backend::services::tenants::tenant_config;
use app::domain::access::permission::TenantScope;
use app::domain::tenants::tenant::Region;

fn sql(text: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, text)
}

async fn strings<C: ConnectionTrait>(conn: &C, query: &str) -> Vec<String> {
    conn.query_all_raw(sql(query))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Tenants a and b, each with a config entry and audit records.
async fn two_tenants(db: &DatabaseConnection) -> (Uuid, Uuid) {
    users::ensure_first_admin(
        db,
        Some(ADMIN_EMAIL),
        Some("row security passphrase"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let admin = principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap();
    let context = RequestContext::default();
    let mut ids = vec![];
    for slug in ["tenant-a", "tenant-b"] {
        let form = tenant_form(slug);
        tenants::create(
            &app::backend::context::Ctx::of(db, &admin, &context),
            &[Region::parse("eu-central-1").unwrap()],
            &form,
        )
        .await
        .unwrap();
        tenant_config::set(
            &app::backend::context::Ctx::of(db, &admin, &context),
            slug,
            "smtp.host",
            "mail.example",
            false,
        )
        .await
        .unwrap();
        ids.push(
            tenants::detail(
                &app::backend::context::Ctx::of(db, &admin, &Default::default()),
                slug,
            )
            .await
            .unwrap()
            .row
            .id,
        );
    }
    (ids[0], ids[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_without_its_tenant_filter_sees_only_the_scoped_tenant() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let db = &test_db.db;
    let (a, b) = two_tenants(db).await;

    let txn = scoped_read(db, &TenantScope::Only(vec![a])).await.unwrap();
    assert_eq!(
        strings(&txn, "SELECT slug FROM tenants ORDER BY slug").await,
        ["tenant-a"]
    );
    assert_eq!(
        strings(&txn, "SELECT DISTINCT tenant_id::text FROM tenant_settings").await,
        [a.to_string()]
    );
    assert_eq!(
        strings(&txn, "SELECT DISTINCT tenant_id::text FROM field_changes").await,
        [a.to_string()]
    );
    let audit = strings(
        &txn,
        "SELECT coalesce(tenant_id::text, 'platform') FROM audit_events",
    )
    .await;
    assert!(
        !audit.is_empty() && audit.iter().all(|t| *t == a.to_string()),
        "{audit:?}"
    );
    // Writes are confined too: an unfiltered update touches the one tenant.
    let updated = txn
        .execute_raw(sql("UPDATE tenants SET display_name = 'Renamed'"))
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    let moved = txn
        .execute_raw(sql(&format!(
            "UPDATE tenant_settings SET tenant_id = '{b}'"
        )))
        .await;
    assert!(moved.is_err(), "a row cannot be moved into another tenant");
    txn.rollback().await.unwrap();

    // No scope set for the application role: no rows at all (fail closed).
    let txn = db.begin().await.unwrap();
    txn.execute_unprepared("SET LOCAL ROLE tenantry_app")
        .await
        .unwrap();
    assert!(strings(&txn, "SELECT slug FROM tenants").await.is_empty());
    txn.rollback().await.unwrap();

    // Platform-wide reads see everything.
    let txn = scoped_read(db, &TenantScope::All).await.unwrap();
    assert_eq!(
        strings(&txn, "SELECT slug FROM tenants ORDER BY slug").await,
        ["tenant-a", "tenant-b"]
    );
    txn.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scope_never_leaks_to_the_next_user_of_a_pooled_connection() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let (a, _) = two_tenants(&test_db.db).await;
    // One connection, so every transaction below reuses it.
    let mut options = ConnectOptions::new(test_db.url.clone());
    options
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let pool = Database::connect(options).await.unwrap();
    let session_user = strings(&pool, "SELECT current_user::text").await;

    let txn = scoped_read(&pool, &TenantScope::Only(vec![a]))
        .await
        .unwrap();
    assert_eq!(
        strings(&txn, "SELECT current_user::text").await,
        ["tenantry_app"]
    );
    txn.commit().await.unwrap();
    let clean = "SELECT current_user::text || '|' || coalesce(current_setting('tenantry.tenant_ids', true), '')";
    assert_eq!(
        strings(&pool, clean).await,
        [format!("{}|", session_user[0])]
    );
    assert_eq!(
        strings(&pool, "SELECT count(*)::text FROM tenants").await,
        ["2"]
    );

    // Nor after a scoped transaction that failed and was dropped.
    {
        let txn = scoped_read(&pool, &TenantScope::Only(vec![a]))
            .await
            .unwrap();
        assert!(
            txn.execute_unprepared("SELECT no_such_column FROM tenants")
                .await
                .is_err()
        );
    }
    assert_eq!(
        strings(&pool, clean).await,
        [format!("{}|", session_user[0])]
    );
    assert_eq!(
        strings(&pool, "SELECT count(*)::text FROM tenants").await,
        ["2"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_and_endpoint_tables_are_confined_too() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let db = &test_db.db;
    let (a, b) = two_tenants(db).await;
    let product = Uuid::new_v4();
    for tenant in [a, b] {
        db.execute_unprepared(&format!(
            "INSERT INTO compliance_status (tenant_id, product_id, running_version, status, severity, days_left, detail, policy_level, assessed_at)
                 VALUES ('{tenant}', '{product}', '1.0.0', 'compliant', 4, NULL, '', 'global', now());
             INSERT INTO endpoints (id, tenant_id, hostname, platform, agent_version, token_hash, registered_at, last_seen_at)
                 VALUES ('{}', '{tenant}', 'host', 'linux', '1.0.0', '{tenant}', now(), now());",
            Uuid::new_v4()
        ))
        .await
        .unwrap();
    }
    let txn = scoped_read(db, &TenantScope::Only(vec![a])).await.unwrap();
    for table in ["compliance_status", "endpoints"] {
        assert_eq!(
            strings(
                &txn,
                &format!("SELECT DISTINCT tenant_id::text FROM {table}")
            )
            .await,
            [a.to_string()],
            "{table}"
        );
    }
    txn.rollback().await.unwrap();
}

/// Tables with a `tenant_id` that row-level security leaves open, and why.
const UNCONFINED: [(&str, &str); 3] = [
    (
        "role_bindings",
        "read to find who someone is, before any tenant scope exists",
    ),
    ("notifications", "each person's own, read by user id"),
    (
        "alerts",
        "the vendor's operators' alerts, read only with platform-wide permission",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_with_a_tenant_is_confined_or_says_why_not() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let tables = strings(
        &test_db.db,
        "SELECT c.relname::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind = 'r'
            AND EXISTS (SELECT 1 FROM information_schema.columns col
                         WHERE col.table_schema = n.nspname AND col.table_name = c.relname
                           AND col.column_name = 'tenant_id')
            AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
          ORDER BY 1",
    )
    .await;
    let explained: Vec<&str> = UNCONFINED.iter().map(|(table, _)| *table).collect();
    let open: Vec<&String> = tables
        .iter()
        .filter(|t| !explained.contains(&t.as_str()))
        .collect();
    assert!(
        open.is_empty(),
        "tenant tables without forced row-level security: {open:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_targets_and_blackouts_are_confined_to_their_tenants() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let db = &test_db.db;
    let (a, b) = two_tenants(db).await;
    let rollout = Uuid::new_v4();
    for (position, tenant) in [a, b].into_iter().enumerate() {
        db.execute_unprepared(&format!(
            "INSERT INTO rollout_targets (id, rollout_id, wave, position, tenant_id, status, attempts)
                 VALUES ('{}', '{rollout}', 1, {position}, '{tenant}', 'pending', 0);",
            Uuid::new_v4()
        ))
        .await
        .unwrap();
    }
    for tenant in [format!("'{a}'"), format!("'{b}'"), "NULL".to_owned()] {
        db.execute_unprepared(&format!(
            "INSERT INTO blackouts (id, tenant_id, starts_at, ends_at, reason, created_by, created_at)
                 VALUES ('{}', {tenant}, now(), now() + interval '1 day', 'freeze', 'tests', now());",
            Uuid::new_v4()
        ))
        .await
        .unwrap();
    }
    let txn = scoped_read(db, &TenantScope::Only(vec![a])).await.unwrap();
    assert_eq!(
        strings(&txn, "SELECT tenant_id::text FROM rollout_targets").await,
        [a.to_string()]
    );
    // Organisation-wide blackouts bind every tenant, so every tenant sees them.
    let mut seen = strings(
        &txn,
        "SELECT coalesce(tenant_id::text, 'everyone') FROM blackouts",
    )
    .await;
    seen.sort();
    let mut expected = vec![a.to_string(), "everyone".to_owned()];
    expected.sort();
    assert_eq!(seen, expected);
    txn.rollback().await.unwrap();
}
