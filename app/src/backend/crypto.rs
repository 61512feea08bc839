//! Secrets at rest: tenant secret settings, TOTP seeds and the bodies of
//! queued emails (which carry live invitation and reset links) are sealed with
//! ChaCha20-Poly1305 under the installation's key before they are stored.
//! A stored value reads `enc:v1:<key id>:<base64 of nonce ‖ ciphertext>`;
//! the key id (the first 8 hex digits of the key's SHA-256) says which key
//! opens it, so keys can be rotated (`tenantry rotate-secret-key`) and a
//! missing key is named at start-up instead of producing garbage.
//!
//! The keyring is process-wide: set once at start-up ([`configure`]).

use std::sync::{Arc, LazyLock, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "enc:v1:";

/// What a sealed value is for; part of the authenticated data, so a value
/// sealed for one purpose cannot be passed off as another.
#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    TenantSecret,
    TotpSeed,
    /// A queued email's body: it carries live invitation and reset links.
    EmailBody,
    /// A secret held in the session for a moment (a new API token, new
    /// recovery codes, a TOTP secret being set up).
    SessionSecret,
    /// A webhook endpoint's signing secret (and the previous one while a
    /// rotation overlaps).
    WebhookSecret,
    /// The vendor's licence signing key (Ed25519 seed).
    LicenceSigningKey,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::TenantSecret => b"tenant_setting",
            Purpose::TotpSeed => b"totp_seed",
            Purpose::EmailBody => b"email_body",
            Purpose::SessionSecret => b"session_secret",
            Purpose::WebhookSecret => b"webhook_secret",
            Purpose::LicenceSigningKey => b"licence_signing_key",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error(
        "a stored secret was encrypted with key {0}, which is not configured (TENANTRY_SECRET_KEY, TENANTRY_SECRET_KEY_PREVIOUS or the key file)"
    )]
    UnknownKey(String),
    #[error("a stored secret is damaged or was not sealed for this use")]
    Damaged,
    #[error("{0}")]
    BadKey(String),
}

/// One 256-bit key and its id.
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    bytes: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.id)
    }
}

impl SecretKey {
    /// A key from its base64 text (32 bytes).
    pub fn parse(raw: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(raw.trim())
            .map_err(|_| CryptoError::BadKey("a secret key must be base64".into()))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            CryptoError::BadKey("a secret key must be 32 bytes (44 base64 characters)".into())
        })?;
        Ok(Self::from_bytes(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    fn from_bytes(bytes: [u8; 32]) -> Self {
        let digest = Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self { id, bytes }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as base64, for the key file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.bytes)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.bytes))
    }
}

/// The key new values are sealed with, and older keys still accepted.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: SecretKey,
    previous: Vec<SecretKey>,
}

impl Keyring {
    pub fn new(current: SecretKey, previous: Vec<SecretKey>) -> Self {
        Self { current, previous }
    }

    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// The key new values are sealed with.
    pub fn current_key(&self) -> &SecretKey {
        &self.current
    }

    pub fn seal(&self, purpose: Purpose, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .current
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: purpose.label(),
                },
            )
            .expect("ChaCha20-Poly1305 seals any message");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", self.current.id, STANDARD.encode(blob))
    }

    /// The plain text of a stored value. A value from before encryption
    /// (no prefix) is returned as it is; [`needs_sealing`] finds those.
    pub fn open(&self, purpose: Purpose, stored: &str) -> Result<String, CryptoError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let (id, blob) = rest.split_once(':').ok_or(CryptoError::Damaged)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let blob = STANDARD.decode(blob).map_err(|_| CryptoError::Damaged)?;
        if blob.len() < 12 {
            return Err(CryptoError::Damaged);
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = key
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.label(),
                },
            )
            .map_err(|_| CryptoError::Damaged)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Damaged)
    }

    /// Whether a stored value is plain text or sealed under an older key.
    pub fn needs_sealing(&self, stored: &str) -> bool {
        key_id_of(stored) != Some(self.current.id())
    }
}

/// The key id of a sealed value; `None` for plain text.
pub fn key_id_of(stored: &str) -> Option<&str> {
    stored
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id)
}

static KEYRING: LazyLock<RwLock<Arc<Keyring>>> = LazyLock::new(|| {
    // Until start-up configures the real one: a key of this process only,
    // so nothing is ever stored in the clear.
    RwLock::new(Arc::new(Keyring::new(SecretKey::generate(), vec![])))
});

/// Installs the keyring (start-up; tests).
pub fn configure(keyring: Keyring) {
    *KEYRING.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keyring);
}

pub fn keyring() -> Arc<Keyring> {
    KEYRING.read().unwrap_or_else(|p| p.into_inner()).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_and_purpose_only() {
        let ring = Keyring::new(SecretKey::generate(), vec![]);
        let sealed = ring.seal(Purpose::TotpSeed, "JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with(&format!("enc:v1:{}:", ring.current_id())));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(sealed, ring.seal(Purpose::TotpSeed, "JBSWY3DPEHPK3PXP"));
        assert_eq!(
            ring.open(Purpose::TotpSeed, &sealed).unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
        assert_eq!(
            ring.open(Purpose::TenantSecret, &sealed),
            Err(CryptoError::Damaged)
        );
        let tampered = format!("{}A", &sealed[..sealed.len() - 1]);
        assert!(ring.open(Purpose::TotpSeed, &tampered).is_err());
    }

    #[test]
    fn rotation_reads_old_keys_and_a_missing_key_is_named() {
        let old = SecretKey::generate();
        let before = Keyring::new(old.clone(), vec![]);
        let sealed = before.seal(Purpose::TenantSecret, "s3cret");
        let after = Keyring::new(SecretKey::generate(), vec![old.clone()]);
        assert!(after.needs_sealing(&sealed));
        assert_eq!(
            after.open(Purpose::TenantSecret, &sealed).unwrap(),
            "s3cret"
        );
        let lost = Keyring::new(SecretKey::generate(), vec![]);
        assert_eq!(
            lost.open(Purpose::TenantSecret, &sealed),
            Err(CryptoError::UnknownKey(old.id().to_owned()))
        );
        assert!(after.needs_sealing("plain text from before"));
        assert_eq!(
            after.open(Purpose::TenantSecret, "plain text").unwrap(),
            "plain text"
        );
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        let key = SecretKey::generate();
        let again = SecretKey::parse(&key.to_base64()).unwrap();
        assert_eq!(again.id(), key.id());
        assert!(SecretKey::parse("short").is_err());
        assert!(SecretKey::parse(&STANDARD.encode([0u8; 16])).is_err());
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }
}
