//! The audit record is part of the change: no audit, no change.

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

use crate::helpers::TestDb;
use app::backend::audit::RequestContext;
use app::backend::entities::{audit_event, user};
use app::backend::principal::Actor;
use app::backend::services::access::users::NewUser;
use app::backend::services::access::users::create_user;
use app::backend::services::access::users::ensure_builtin_roles;
use app::domain::access::permission::BuiltinRole;

fn new_user(email: &str) -> NewUser {
    NewUser::parse(
        email,
        "Ada Operator",
        "a long enough password",
        BuiltinRole::PlatformAdmin,
    )
    .unwrap()
}

async fn a_change_and_its_audit_record_are_written_together(db: TestDb) {
    ensure_builtin_roles(&db.db, chrono::Utc::now())
        .await
        .unwrap();
    let before = audit_event::Entity::find().count(&db.db).await.unwrap();
    let context = RequestContext::named("req-1");
    let id = create_user(
        &db.db,
        &Actor::System("test"),
        &context,
        new_user("ada@example.com"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(
        user::Entity::find_by_id(id)
            .one(&db.db)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        audit_event::Entity::find().count(&db.db).await.unwrap(),
        before + 1
    );
}

async fn a_failed_audit_write_rolls_the_change_back(db: TestDb) {
    ensure_builtin_roles(&db.db, chrono::Utc::now())
        .await
        .unwrap();
    let users_before = user::Entity::find().count(&db.db).await.unwrap();
    // Break the audit table: every audit insert now fails.
    db.db
        .execute_unprepared("DROP TABLE audit_events")
        .await
        .unwrap();

    let result = create_user(
        &db.db,
        &Actor::System("test"),
        &RequestContext::default(),
        new_user("bob@example.com"),
        chrono::Utc::now(),
    )
    .await;

    assert!(
        result.is_err(),
        "the mutation fails when its audit record cannot be written"
    );
    assert_eq!(
        user::Entity::find().count(&db.db).await.unwrap(),
        users_before,
        "no user was left behind"
    );
}

crate::on_both_databases!(
    a_change_and_its_audit_record_are_written_together,
    a_failed_audit_write_rolls_the_change_back,
);
