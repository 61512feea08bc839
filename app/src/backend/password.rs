//! argon2id hashing, always off the async runtime.

use std::sync::{LazyLock, OnceLock};

use tokio::sync::Semaphore;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::backend::error::ServiceError;

/// A stored hash. Deliberately not `Serialize`, and its `Debug` hides the value.
#[derive(Clone)]
pub struct PasswordHashString(pub String);

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString([redacted])")
    }
}

/// argon2 takes ~19 MiB and a core per hash: at most one hash per core runs
/// at a time, so a flood of sign-ins queues instead of exhausting memory.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
    )
});

/// Runs one hashing job under the cap.
async fn capped<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    let _permit = HASHING.acquire().await.map_err(ServiceError::internal)?;
    tokio::task::spawn_blocking(job)
        .await
        .map_err(ServiceError::internal)?
}

pub async fn hash_password(password: String) -> Result<PasswordHashString, ServiceError> {
    capped(move || hash_blocking(&password)).await
}

fn hash_blocking(password: &str) -> Result<PasswordHashString, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default() // argon2id, v19, OWASP-recommended parameters
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| PasswordHashString(hash.to_string()))
        .map_err(ServiceError::internal)
}

/// Verifies `password` against `stored`, or against a dummy hash when there is
/// no user, so that unknown accounts take as long as wrong passwords.
pub async fn verify_password(
    password: String,
    stored: Option<String>,
) -> Result<bool, ServiceError> {
    capped(move || {
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&stored).map_err(ServiceError::internal)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking("tenantry-dummy-password-for-timing")
            .map(|h| h.0)
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), Some(hash.0.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), Some(hash.0)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    #[test]
    fn debug_output_hides_the_hash() {
        assert!(!format!("{:?}", PasswordHashString("$argon2id$secret".into())).contains("secret"));
    }
}
