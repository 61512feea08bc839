//! Every stored secret sealed under the current key: checked at start-up
//! (a value no configured key opens stops the start with its key id), and
//! re-sealed by `tenantry rotate-secret-key` or when a value from before
//! encryption is found.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::backend::crypto::{CryptoError, Keyring, Purpose, keyring};
use crate::backend::entities::{
    licence_signing_key, outbound_email, tenant_setting, user, webhook_endpoint,
};
use crate::backend::error::{ServiceError, ServiceResult};

/// What a sweep found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealReport {
    /// Values already sealed under the current key.
    pub current: usize,
    /// Values sealed afresh (plain text from before, or an older key).
    pub resealed: usize,
}

/// Opens every stored secret with the configured keys and seals the ones
/// that are not under the current key. A value no key opens is an error
/// that names the missing key; nothing is changed then.
pub async fn seal_all(db: &DatabaseConnection) -> ServiceResult<SealReport> {
    let ring = keyring();
    let settings = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::IsSecret.eq(true))
        .all(db)
        .await?;
    let seeds = user::Entity::find()
        .filter(user::Column::TotpSecret.is_not_null())
        .all(db)
        .await?;
    // Queued (undelivered) emails; delivered ones keep no body.
    let emails = outbound_email::Entity::find()
        .filter(outbound_email::Column::Body.ne(""))
        .all(db)
        .await?;
    let hooks = webhook_endpoint::Entity::find().all(db).await?;
    let licence_keys = licence_signing_key::Entity::find().all(db).await?;
    // First check that everything opens, so a missing key changes nothing.
    for k in &licence_keys {
        open(&ring, Purpose::LicenceSigningKey, &k.private_key)?;
    }
    for h in &hooks {
        open(&ring, Purpose::WebhookSecret, &h.secret)?;
        if let Some(previous) = &h.previous_secret {
            open(&ring, Purpose::WebhookSecret, previous)?;
        }
    }
    for e in &emails {
        open(&ring, Purpose::EmailBody, &e.body)?;
    }
    for s in &settings {
        open(&ring, Purpose::TenantSecret, &s.value)?;
    }
    for u in &seeds {
        open(
            &ring,
            Purpose::TotpSeed,
            u.totp_secret.as_deref().unwrap_or(""),
        )?;
    }
    let mut report = SealReport::default();
    for s in settings {
        if !ring.needs_sealing(&s.value) {
            report.current += 1;
            continue;
        }
        let plain = open(&ring, Purpose::TenantSecret, &s.value)?;
        let mut row: tenant_setting::ActiveModel = s.into();
        row.value = Set(ring.seal(Purpose::TenantSecret, &plain));
        row.update(db).await?;
        report.resealed += 1;
    }
    for u in seeds {
        let stored = u.totp_secret.clone().unwrap_or_default();
        if !ring.needs_sealing(&stored) {
            report.current += 1;
            continue;
        }
        let plain = open(&ring, Purpose::TotpSeed, &stored)?;
        let mut row: user::ActiveModel = u.into();
        row.totp_secret = Set(Some(ring.seal(Purpose::TotpSeed, &plain)));
        row.update(db).await?;
        report.resealed += 1;
    }
    for h in hooks {
        let stale = ring.needs_sealing(&h.secret)
            || h.previous_secret
                .as_deref()
                .is_some_and(|p| ring.needs_sealing(p));
        if !stale {
            report.current += 1;
            continue;
        }
        let plain = open(&ring, Purpose::WebhookSecret, &h.secret)?;
        let previous = match &h.previous_secret {
            Some(p) => Some(open(&ring, Purpose::WebhookSecret, p)?),
            None => None,
        };
        let mut row: webhook_endpoint::ActiveModel = h.into();
        row.secret = Set(ring.seal(Purpose::WebhookSecret, &plain));
        row.previous_secret = Set(previous.map(|p| ring.seal(Purpose::WebhookSecret, &p)));
        row.update(db).await?;
        report.resealed += 1;
    }
    for k in licence_keys {
        if !ring.needs_sealing(&k.private_key) {
            report.current += 1;
            continue;
        }
        let plain = open(&ring, Purpose::LicenceSigningKey, &k.private_key)?;
        let mut row: licence_signing_key::ActiveModel = k.into();
        row.private_key = Set(ring.seal(Purpose::LicenceSigningKey, &plain));
        row.update(db).await?;
        report.resealed += 1;
    }
    for e in emails {
        if !ring.needs_sealing(&e.body) {
            report.current += 1;
            continue;
        }
        let plain = open(&ring, Purpose::EmailBody, &e.body)?;
        let mut row: outbound_email::ActiveModel = e.into();
        row.body = Set(ring.seal(Purpose::EmailBody, &plain));
        row.update(db).await?;
        report.resealed += 1;
    }
    Ok(report)
}

fn open(ring: &Keyring, purpose: Purpose, stored: &str) -> ServiceResult<String> {
    ring.open(purpose, stored).map_err(|e| match e {
        CryptoError::UnknownKey(_) => ServiceError::Policy(e.to_string()),
        other => ServiceError::internal(other),
    })
}

/// Seals a value for storage under the current key.
pub fn seal(purpose: Purpose, plain: &str) -> String {
    keyring().seal(purpose, plain)
}

/// Opens a stored value; a value that does not open is an internal error
/// (the start-up check makes a missing key impossible while serving).
pub fn reveal(purpose: Purpose, stored: &str) -> ServiceResult<String> {
    keyring()
        .open(purpose, stored)
        .map_err(ServiceError::internal)
}
