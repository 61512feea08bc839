//! What a new API token request must say: a name, and an expiry within reason.

use crate::domain::validation::FieldErrors;

pub const MAX_EXPIRY_DAYS: i64 = 3650;

#[derive(Debug, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    /// `None`: the token does not expire.
    pub expires_in_days: Option<i64>,
}

impl TokenRequest {
    /// Both fields' problems at once; a blank expiry means "never".
    pub fn parse(name: &str, expires_in_days: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = name.trim();
        if name.is_empty() {
            errors.push(
                "name",
                "Name the token after what will use it, e.g. \"ci-deploy\".",
            );
        } else if name.chars().count() > 80 {
            errors.push("name", "Use at most 80 characters.");
        }
        let days = match expires_in_days.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => Some(days),
                _ => {
                    errors.push(
                        "expires_in_days",
                        format!(
                            "Enter a whole number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it blank for no expiry."
                        ),
                    );
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Self {
                name: name.to_owned(),
                expires_in_days: days,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_request_needs_a_name_and_a_sensible_expiry() {
        let request = |name: &str, days: Option<i64>| TokenRequest {
            name: name.to_owned(),
            expires_in_days: days,
        };
        assert_eq!(TokenRequest::parse(" ci ", ""), Ok(request("ci", None)));
        assert_eq!(TokenRequest::parse("ci", "30"), Ok(request("ci", Some(30))));
        let errors = TokenRequest::parse("", "0").unwrap_err();
        assert!(errors.for_field("name").is_some());
        assert!(errors.for_field("expires_in_days").is_some());
        assert!(TokenRequest::parse("ci", "soon").is_err());
    }
}
