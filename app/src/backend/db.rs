//! Opening the database and running migrations, on SQLite or PostgreSQL.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use uuid::Uuid;

/// Connects with a pool sized for the backend; for SQLite the file (and its
/// folder) is created when missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let url = prepare_sqlite_url(url)?;
    let is_sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url);
    options
        // SQLite allows one writer. With several pooled connections, a transaction
        // dropped on an error path keeps its write lock until its connection is next
        // used, and other writers then fail with "database is locked". One connection
        // serialises everything and can never contend with itself.
        .max_connections(if is_sqlite { 1 } else { 16 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if is_sqlite {
        // WAL lets readers proceed while one writer commits; it persists in the file.
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await?;
    }
    Ok(db)
}

/// A pool for reads only. On SQLite (WAL) readers run in parallel with each
/// other and with the one writer, so pages and API reads do not queue behind
/// writes; nothing written goes through it, so it can never hold a write lock.
/// On PostgreSQL, and for in-memory SQLite, it is the writer's pool.
pub async fn connect_reads(
    url: &str,
    writer: &DatabaseConnection,
) -> Result<DatabaseConnection, DbErr> {
    let url = prepare_sqlite_url(url)?;
    if !url.starts_with("sqlite:") || url.contains(":memory:") {
        return Ok(writer.clone());
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(READ_CONNECTIONS)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Readers for a 2-core machine with room for requests waiting on I/O.
const READ_CONNECTIONS: u32 = 4;

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `sqlite://data/x.db` → ensure `data/` exists and add `mode=rwc` so the file is created.
fn prepare_sqlite_url(url: &str) -> Result<String, DbErr> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(url.to_owned());
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbErr::Custom(format!(
                        "cannot create database folder {}: {e}",
                        parent.display()
                    ))
                })?;
            }
        }
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

#[cfg(test)]
mod tests {
    use super::prepare_sqlite_url;

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").unwrap(),
            "sqlite://:memory:?mode=rwc"
        );
        assert_eq!(
            prepare_sqlite_url("sqlite://x.db?mode=ro").unwrap(),
            "sqlite://x.db?mode=ro"
        );
    }

    #[test]
    fn postgres_urls_are_left_alone() {
        assert_eq!(
            prepare_sqlite_url("postgres://u@h/db").unwrap(),
            "postgres://u@h/db"
        );
    }
}

/// Begins a transaction for reads on behalf of someone who may see only
/// some tenants. On PostgreSQL it runs as the `tenantry_app` role with
/// `tenantry.tenant_ids` set for this transaction alone, so row-level
/// security (migration 000007) confines every tenant-scoped table to those
/// tenants even where a query forgot its filter. Both settings end with the
/// transaction; nothing carries over to the next user of the pooled
/// connection. Platform-wide scopes and SQLite get a plain transaction.
pub async fn scoped_read(
    db: &DatabaseConnection,
    scope: &crate::domain::access::permission::TenantScope,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{DbBackend, Statement, TransactionTrait};
    let txn = db.begin().await?;
    if let (DbBackend::Postgres, crate::domain::access::permission::TenantScope::Only(ids)) =
        (db.get_database_backend(), scope)
    {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        txn.execute_unprepared("SET LOCAL ROLE tenantry_app")
            .await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('tenantry.tenant_ids', $1, true)",
            [ids.join(",").into()],
        ))
        .await?;
    }
    Ok(txn)
}

/// Refreshes the planner's statistics (and, on PostgreSQL, the visibility
/// map that lets counts use index-only scans) after a bulk load such as
/// `tenantry seed --tenants N`; without it the first queries on thousands of
/// fresh rows plan as if the tables were empty.
pub async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => db.execute_unprepared("VACUUM ANALYZE").await.map(|_| ()),
        _ => db.execute_unprepared("ANALYZE").await.map(|_| ()),
    }
}

/// `raw` as a LIKE pattern that matches it literally (`%`, `_` and `\\`
/// escaped, for `ESCAPE '\\'`): a search for `%` finds a percent sign, not
/// everything.
pub fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `column LIKE '%text%' ESCAPE '\\'`: the column contains `text` literally.
pub fn contains_literally(
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    Expr::col(column).like(LikeExpr::new(format!("%{}%", escape_like(text))).escape('\\'))
}

/// `column LIKE 'text%' ESCAPE '\\'`: the column starts with `text` literally.
pub fn starts_with_literally(
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    Expr::col(column).like(LikeExpr::new(format!("{}%", escape_like(text))).escape('\\'))
}

#[cfg(test)]
mod like_tests {
    use super::escape_like;

    #[test]
    fn wildcards_are_searched_for_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("acme"), "acme");
    }
}
