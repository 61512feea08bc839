//! Random secrets for links and tokens, and the hash under which they are
//! stored (a fast hash is right here: the secrets are long and random, unlike
//! passwords).

use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn sha256_hex(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// 256 random bits, URL-safe base64 without padding (43 characters).
pub fn random_url_safe() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_url_safe_and_never_repeat() {
        let (a, b) = (random_url_safe(), random_url_safe());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
