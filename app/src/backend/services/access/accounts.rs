//! People: the user list, invitations by email, enabling and disabling
//! accounts, password resets and password changes. Every change is audited in
//! its own transaction, and every email is queued in that same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::entities::{invitation, password_reset, role, role_binding, tenant, user};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::password::{hash_password, verify_password};
use crate::backend::principal::Actor;
use crate::backend::secret::{random_url_safe, sha256_hex};
use crate::backend::services::access::auth::SignedIn;
use crate::backend::services::access::auth::principal_for;
use crate::backend::services::access::login_throttle;
use crate::backend::services::access::roles;
use crate::backend::services::access::users::insert_account;
use crate::backend::services::notifications::email_outbox;
use crate::backend::services::tenants::find_by_slug;
use crate::backend::state::AccountSettings;
use crate::domain::access::credentials::check_new_password_pair;
use crate::domain::access::credentials::parse_display_name;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::RoleScope;
use crate::domain::access::permission::Scope;
use crate::domain::access::permission::TenantScope;
use crate::domain::notifications::email::Email;
use crate::domain::validation::FieldErrors;
use crate::model::access::users::BindingRow;
use crate::model::access::users::InvitationRow;
use crate::model::access::users::InvitationStatus;
use crate::model::access::users::InvitationView;
use crate::model::access::users::PasswordResetView;
use crate::model::access::users::RoleOption;
use crate::model::access::users::USERS_PER_PAGE;
use crate::model::access::users::UserRow;
use crate::model::access::users::UsersQuery;
use crate::model::access::users::UsersView;

mod invitations;
mod passwords;
mod people;

pub use invitations::*;
pub use passwords::*;
pub use people::*;

fn field_error(field: &str, message: &str) -> ServiceError {
    let mut errors = FieldErrors::default();
    errors.push(field, message);
    ServiceError::Validation(errors)
}
