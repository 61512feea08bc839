//! Accounts: the first admin, duplicates, and the migration history.

use app::backend::state::AccountSettings;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::TestDb;
use app::backend::audit::RequestContext;
use app::backend::db;
use app::backend::entities::role;
use app::backend::error::ServiceError;
use app::backend::principal::Actor;
use app::backend::services::access::auth::authenticate;
use app::backend::services::access::users::NewUser;
use app::backend::services::access::users::count_users;
use app::backend::services::access::users::create_user;
use app::backend::services::access::users::ensure_first_admin;
use app::domain::access::permission::BuiltinRole;
use app::domain::access::permission::Permission;
use app::domain::access::permission::Scope;

async fn the_first_admin_is_created_once_with_a_generated_password(db: TestDb) {
    let created = ensure_first_admin(&db.db, None, None, chrono::Utc::now())
        .await
        .unwrap()
        .expect("created on an empty database");
    let password = created.generated_password.expect("generated");
    assert_eq!(password.len(), 20);
    assert!(
        ensure_first_admin(&db.db, None, None, chrono::Utc::now())
            .await
            .unwrap()
            .is_none(),
        "never twice"
    );
    assert_eq!(count_users(&db.db).await.unwrap(), 1);

    let principal = authenticate(
        &db.db,
        &RequestContext::default(),
        &AccountSettings::default(),
        &created.email,
        &password,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .principal;
    assert!(
        principal.can(Permission::UserManage, Scope::Platform),
        "the first admin is a platform admin"
    );
}

async fn the_first_admin_uses_configured_credentials(db: TestDb) {
    let created = ensure_first_admin(
        &db.db,
        Some("Ops@Example.com"),
        Some("configured password 1"),
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(created.email, "ops@example.com");
    assert!(created.generated_password.is_none());
    authenticate(
        &db.db,
        &RequestContext::default(),
        &AccountSettings::default(),
        "ops@example.com",
        "configured password 1",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
}

async fn a_duplicate_email_is_a_field_error(db: TestDb) {
    ensure_first_admin(
        &db.db,
        Some("ops@example.com"),
        Some("configured password 1"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let duplicate = NewUser::parse(
        "OPS@example.com",
        "Other",
        "another long password",
        BuiltinRole::PlatformAdmin,
    )
    .unwrap();
    crate::helpers::expect_field_error(
        create_user(
            &db.db,
            &Actor::System("test"),
            &RequestContext::default(),
            duplicate,
            chrono::Utc::now(),
        )
        .await,
        "email",
    );
}

async fn an_unknown_account_cannot_sign_in_with_a_real_password(db: TestDb) {
    ensure_first_admin(
        &db.db,
        Some("ops@example.com"),
        Some("configured password 1"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let unknown = authenticate(
        &db.db,
        &RequestContext::default(),
        &AccountSettings::default(),
        "ghost@example.com",
        "configured password 1",
        chrono::Utc::now(),
    )
    .await;
    assert!(matches!(unknown, Err(ServiceError::InvalidCredentials)));
}

async fn migrations_can_run_again_without_change(db: TestDb) {
    db::migrate(&db.db).await.unwrap();
    ensure_first_admin(&db.db, None, None, chrono::Utc::now())
        .await
        .unwrap();
    db::migrate(&db.db).await.unwrap();
    ensure_first_admin(&db.db, None, None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        role::Entity::find().count(&db.db).await.unwrap(),
        BuiltinRole::ALL.len() as u64,
        "each built-in role exists once"
    );
}

crate::on_both_databases!(
    the_first_admin_is_created_once_with_a_generated_password,
    the_first_admin_uses_configured_credentials,
    a_duplicate_email_is_a_field_error,
    an_unknown_account_cannot_sign_in_with_a_real_password,
    migrations_can_run_again_without_change,
);
