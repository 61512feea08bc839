//! The optional second factor: RFC 6238 time-based codes (totp-rs) and
//! single-use recovery codes. A code is accepted once (the last accepted
//! time step is stored); wrong codes count against sign-in throttling.

use chrono::{DateTime, Utc};
use qrcode::QrCode;
use qrcode::render::svg;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::crypto::Purpose;
use crate::backend::entities::{recovery_code, user};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::password::verify_password;
use crate::backend::principal::Actor;
use crate::backend::secret::sha256_hex;
use crate::backend::services::access::auth::SignedIn;
use crate::backend::services::access::auth::principal_for;
use crate::backend::services::access::login_throttle;
use crate::backend::services::platform::secrets_at_rest;
use crate::backend::state::AccountSettings;
use crate::domain::validation::FieldErrors;
use crate::model::access::two_factor::Enrollment;

const ISSUER: &str = "Tenantry";
const STEP_SECONDS: u64 = 30;
const RECOVERY_CODES: usize = 10;

fn field_error(field: &str, message: &str) -> ServiceError {
    let mut errors = FieldErrors::default();
    errors.push(field, message);
    ServiceError::Validation(errors)
}

/// 160 random bits, base32 (what authenticator apps expect).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret: &str, account: &str) -> ServiceResult<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| ServiceError::internal(format!("TOTP secret: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| ServiceError::internal(format!("TOTP set-up: {e}")))
}

/// The QR code and texts for setting up `secret` in an authenticator.
pub fn enrollment_for(account: &str, secret: &str) -> ServiceResult<Enrollment> {
    let otpauth_url = totp(secret, account)?.get_url();
    let qr_svg = QrCode::new(otpauth_url.as_bytes())
        .map_err(ServiceError::internal)?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrollment {
        secret: secret.to_owned(),
        otpauth_url,
        qr_svg,
    })
}

/// The time step whose code `code` is (within one step of `now`), if any.
fn matching_step(totp: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let current = now.timestamp().max(0) as u64 / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.generate(step * STEP_SECONDS) == code)
        .map(|step| step as i64)
}

fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// Whether the principal's second factor is on (since when), and how many
/// recovery codes are left.
pub async fn status(ctx: &Ctx) -> ServiceResult<(Option<DateTime<Utc>>, u64)> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    let account = user::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let left = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(principal.user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?;
    Ok((account.totp_enabled_at, left))
}

/// Turns the second factor on once the authenticator's code matches the
/// secret; returns fresh recovery codes (only their hashes are kept).
pub async fn confirm(ctx: &Ctx, secret: &str, code: &str) -> ServiceResult<Vec<String>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let generator = totp(secret, &principal.email)?;
    let Some(step) = matching_step(&generator, code, ctx.now()) else {
        return Err(field_error(
            "code",
            "That code does not match. Check the time on your phone and enter the current 6-digit code.",
        ));
    };
    let codes = new_recovery_codes();
    let now = ctx.now();
    let txn = db.begin().await?;
    let account = user::Entity::find_by_id(principal.user_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if account.totp_secret.is_some() {
        return Err(ServiceError::Conflict(
            "Two-factor authentication is already on.".into(),
        ));
    }
    let mut model = account.into_active_model();
    model.totp_secret = Set(Some(secrets_at_rest::seal(Purpose::TotpSeed, secret)));
    model.totp_enabled_at = Set(Some(now));
    model.totp_last_step = Set(Some(step));
    model.updated_at = Set(now);
    model.update(&txn).await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(principal.user_id))
        .exec(&txn)
        .await?;
    for code in &codes {
        recovery_code::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(principal.user_id),
            code_hash: Set(sha256_hex(&normalise_recovery_code(code))),
            created_at: Set(now),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "user.two_factor_enable", "user")
            .target(principal.user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

/// Turns the second factor off: the password and a current code (or a
/// recovery code) prove it is really the account's owner.
pub async fn disable(ctx: &Ctx, password: &str, code: &str) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let account = user::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if account.totp_secret.is_none() {
        return Ok(());
    }
    if !verify_password(password.to_owned(), Some(account.password_hash.clone())).await? {
        return Err(field_error(
            "password",
            "This is not your current password.",
        ));
    }
    let txn = db.begin().await?;
    if check_code(&txn, &account, code, ctx.now()).await?.is_none() {
        return Err(field_error("code", "That code does not match."));
    }
    let mut model = account.into_active_model();
    model.totp_secret = Set(None);
    model.totp_enabled_at = Set(None);
    model.totp_last_step = Set(None);
    model.update(&txn).await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(principal.user_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "user.two_factor_disable", "user")
            .target(principal.user_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Accepts a current TOTP code (each time step once) or an unused recovery
/// code, consuming it; returns how it was proven.
async fn check_code<C: sea_orm::ConnectionTrait>(
    conn: &C,
    account: &user::Model,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<&'static str>> {
    let Some(sealed) = &account.totp_secret else {
        return Ok(None);
    };
    let secret = secrets_at_rest::reveal(Purpose::TotpSeed, sealed)?;
    if let Some(step) = matching_step(&totp(&secret, &account.email)?, code, now) {
        // Only a later step than the last accepted one: no replays.
        let claimed = user::Entity::update_many()
            .col_expr(user::Column::TotpLastStep, Expr::value(step))
            .filter(user::Column::Id.eq(account.id))
            .filter(
                sea_orm::Condition::any()
                    .add(user::Column::TotpLastStep.is_null())
                    .add(user::Column::TotpLastStep.lt(step)),
            )
            .exec(conn)
            .await?;
        return Ok((claimed.rows_affected == 1).then_some("totp"));
    }
    let hash = sha256_hex(&normalise_recovery_code(code));
    let used = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::UserId.eq(account.id))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok((used.rows_affected == 1).then_some("recovery_code"))
}

/// The second sign-in step. Wrong codes are audited and throttled like
/// wrong passwords.
pub async fn complete_sign_in(
    db: &DatabaseConnection,
    context: &RequestContext,
    settings: &AccountSettings,
    user_id: Uuid,
    session_version: i32,
    code: &str,
    now: DateTime<Utc>,
) -> ServiceResult<SignedIn> {
    let account = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.is_active && u.session_version == session_version)
        .ok_or(ServiceError::Unauthenticated)?;
    let keys =
        login_throttle::keys_for(&account.email, context.client_address.as_deref(), settings);
    let attempt = login_throttle::begin_attempt(db, keys, now).await?;
    let txn = db.begin().await?;
    let Some(method) = check_code(&txn, &account, code, now).await? else {
        txn.rollback().await?;
        if attempt.started_lockout() {
            crate::backend::services::access::auth::audit_lockout(db, context, &account.email)
                .await?;
        }
        audit::record(
            db,
            context,
            AuditEntry::new(Actor::Anonymous(account.email.clone()), "auth.login", "user")
                .target(user_id)
                .failed()
                .details(json!({ "reason": "wrong_second_factor", "client_address": context.client_address })),
        )
        .await?;
        return Err(field_error(
            "code",
            "That code does not match. Try the current code, or a recovery code.",
        ));
    };
    let version = account.session_version;
    let mut model = account.into_active_model();
    model.last_login_at = Set(Some(now));
    let account = model.update(&txn).await?;
    let principal = principal_for(&txn, account).await?;
    let new_address = crate::backend::services::access::auth::note_sign_in_address(
        &txn,
        user_id,
        context.client_address.as_deref(),
        now,
    )
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(&principal), "auth.login", "user")
            .target(user_id)
            .details(json!({ "second_factor": method, "client_address": context.client_address, "new_address": new_address })),
    )
    .await?;
    txn.commit().await?;
    attempt.succeeded(db).await?;
    Ok(SignedIn {
        principal,
        session_version: version,
        second_factor_pending: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_within_one_step_and_name_their_step() {
        let secret = new_secret();
        let generator = totp(&secret, "ops@example.com").unwrap();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let step = 1_800_000_000 / 30;
        let current = generator.generate(step * 30);
        assert_eq!(matching_step(&generator, &current, now), Some(step as i64));
        let previous = generator.generate((step - 1) * 30);
        assert_eq!(
            matching_step(&generator, &previous, now),
            Some(step as i64 - 1)
        );
        let stale = generator.generate((step - 3) * 30);
        assert_eq!(matching_step(&generator, &stale, now), None);
        assert_eq!(matching_step(&generator, "12ab56", now), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(normalise_recovery_code(" ABCDE-fghjk "), "abcdefghjk");
    }

    #[test]
    fn the_enrollment_carries_a_scannable_url() {
        let enrollment = enrollment_for("ops@example.com", &new_secret()).unwrap();
        assert!(
            enrollment
                .otpauth_url
                .starts_with("otpauth://totp/Tenantry:ops%40example.com?")
        );
        assert!(enrollment.qr_svg.contains("<svg"));
    }
}
