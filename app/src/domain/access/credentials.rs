//! What a login form and a new password must look like before any lookup happens.

use crate::domain::notifications::email::Email;
use crate::domain::validation::FieldErrors;

/// Parsed login input. The password is kept only as long as the login takes.
pub struct LoginCredentials {
    pub email: Email,
    pub password: String,
}

impl std::fmt::Debug for LoginCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginCredentials")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl LoginCredentials {
    /// Empty fields are field errors; a malformed address is *not* reported
    /// separately, so the form cannot be used to probe which accounts exist —
    /// it simply fails like any wrong credential.
    pub fn parse(email: &str, password: &str) -> Result<Option<Self>, FieldErrors> {
        let mut errors = FieldErrors::default();
        if email.trim().is_empty() {
            errors.push("email", "Enter your email address.");
        }
        if password.is_empty() {
            errors.push("password", "Enter your password.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Email::parse(email).ok().map(|email| Self {
            email,
            password: password.to_owned(),
        }))
    }
}

pub const MIN_PASSWORD_LENGTH: usize = 12;

/// A person's name as shown in the portal: trimmed, 1 to 120 characters.
pub fn parse_display_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err("Enter a name."),
        121.. => Err("Use at most 120 characters."),
        _ => Ok(name.to_owned()),
    }
}

/// A new password typed twice: the policy, then that both agree. Problems
/// are added to `errors` under `password` and `password_confirm`.
pub fn check_new_password_pair(password: &str, confirm: &str, errors: &mut FieldErrors) {
    if let Err(message) = check_new_password(password) {
        errors.push("password", message);
    } else if password != confirm {
        errors.push("password_confirm", "The two passwords differ.");
    }
}

/// A password good enough to set: long enough, not all one character.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        return Err(format!("Use at least {MIN_PASSWORD_LENGTH} characters."));
    }
    if length > 1024 {
        return Err("Use at most 1024 characters.".into());
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err("Use more than one distinct character.".into());
    }
    if is_common_password(password) {
        return Err(
            "This password is one of the most common ones and easy to guess; choose another."
                .into(),
        );
    }
    Ok(())
}

/// Passwords of 12 or more characters from the public lists of most-used
/// passwords, and the patterns they follow (runs of digits or keyboard rows,
/// "password" with a few digits).
fn is_common_password(password: &str) -> bool {
    const COMMON: [&str; 24] = [
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "qwertyuiopasdfgh",
        "qwertyuiop123",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "iloveyou1234",
        "administrator",
        "letmein12345",
        "welcome12345",
        "changeme1234",
        "abcdefghijkl",
        "abc123abc123",
        "qazwsxedcrfv",
        "trustno11234",
        "football1234",
        "baseball1234",
        "superman1234",
        "sunshine1234",
        "princess1234",
        "monkey123456",
        "zaq12wsxcde3",
    ];
    const RUNS: [&str; 4] = [
        "12345678901234567890",
        "09876543210987654321",
        "qwertyuiopasdfghjklzxcvbnm",
        "abcdefghijklmnopqrstuvwxyz",
    ];
    let lowered = password.to_lowercase();
    COMMON.contains(&lowered.as_str())
        || RUNS.iter().any(|run| run.contains(lowered.as_str()))
        || lowered
            .strip_prefix("password")
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '!'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_password_must_pass_the_policy_and_be_typed_the_same_twice() {
        let mut errors = FieldErrors::default();
        check_new_password_pair("short", "short", &mut errors);
        assert!(errors.for_field("password").is_some());
        let mut errors = FieldErrors::default();
        check_new_password_pair("a long passphrase", "a long passphrase!", &mut errors);
        assert_eq!(
            errors.for_field("password_confirm"),
            Some("The two passwords differ.")
        );
        let mut errors = FieldErrors::default();
        check_new_password_pair("a long passphrase", "a long passphrase", &mut errors);
        assert!(errors.is_empty());
        assert_eq!(parse_display_name("  Ada "), Ok("Ada".to_owned()));
        assert!(parse_display_name(" ").is_err());
        assert!(parse_display_name(&"x".repeat(121)).is_err());
    }

    #[test]
    fn the_most_common_passwords_are_refused_even_when_long_enough() {
        for common in [
            "Password1234",
            "123456789012",
            "qwertyuiopas",
            "password2024!",
            "1q2w3e4r5t6y",
        ] {
            assert!(check_new_password(common).is_err(), "{common}");
        }
        assert!(check_new_password("correct horse battery staple").is_ok());
    }

    #[test]
    fn both_empty_fields_are_reported_at_once() {
        let errors = LoginCredentials::parse(" ", "").unwrap_err();
        assert_eq!(errors.for_field("email"), Some("Enter your email address."));
        assert_eq!(errors.for_field("password"), Some("Enter your password."));
    }

    #[test]
    fn a_malformed_address_is_not_a_field_error_but_no_credentials() {
        assert!(
            LoginCredentials::parse("not-an-email", "secret")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn well_formed_input_becomes_credentials() {
        let credentials = LoginCredentials::parse("Ada@Example.com", "secret")
            .unwrap()
            .unwrap();
        assert_eq!(credentials.email.as_str(), "ada@example.com");
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let credentials = LoginCredentials::parse("ada@example.com", "hunter2hunter2")
            .unwrap()
            .unwrap();
        assert!(!format!("{credentials:?}").contains("hunter2"));
    }

    #[test]
    fn new_passwords_must_be_long_and_varied() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("aaaaaaaaaaaaaaaa").is_err());
        assert!(check_new_password("correct horse battery").is_ok());
    }
}
