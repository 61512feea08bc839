//! Tenant configuration entries: keys, values and how secrets are shown.

/// What a secret looks like wherever it is displayed, logged or audited.
pub const MASK: &str = "••••••";

pub const MAX_VALUE_CHARS: usize = 4096;

/// A configuration key: 1–64 characters of lowercase letters, digits, `.`,
/// `_` and `-`, starting with a letter (`smtp.host`, `feature_x`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigKey(String);

impl ConfigKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let key = raw.trim().to_lowercase();
        if key.is_empty() {
            return Err("Enter a key, e.g. smtp.host.".into());
        }
        if key.chars().count() > 64 {
            return Err("Use at most 64 characters for a key.".into());
        }
        if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("Start the key with a letter.".into());
        }
        if let Some(bad) = key.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        }) {
            return Err(format!(
                "'{bad}' cannot appear in a key; use letters, digits, '.', '_' or '-'."
            ));
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn check_value(value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(format!(
            "Use at most {MAX_VALUE_CHARS} characters for a value."
        ));
    }
    Ok(())
}

/// The value as it may be shown: secrets never appear, whoever asks.
pub fn displayed_value(value: &str, is_secret: bool) -> String {
    if is_secret {
        MASK.to_owned()
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised_and_checked() {
        assert_eq!(
            ConfigKey::parse(" SMTP.Host ").unwrap().as_str(),
            "smtp.host"
        );
        assert!(ConfigKey::parse("").is_err());
        assert!(ConfigKey::parse("1abc").is_err());
        assert!(ConfigKey::parse("with space").is_err());
        assert!(ConfigKey::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn secrets_are_always_masked() {
        assert_eq!(displayed_value("hunter2", true), MASK);
        assert_eq!(
            displayed_value("smtp.example.com", false),
            "smtp.example.com"
        );
    }

    #[test]
    fn overlong_values_are_refused() {
        assert!(check_value(&"x".repeat(MAX_VALUE_CHARS + 1)).is_err());
        assert!(check_value("fine").is_ok());
    }
}
