use std::fmt;

/// A syntactically plausible e-mail address, trimmed and lower-cased so that
/// look-ups are case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address.")]
    Empty,
    #[error("Enter an email address like name@example.com.")]
    Malformed,
    #[error("An email address can be at most 254 characters.")]
    TooLong,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(EmailError::Malformed);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        let no_spaces = !value.chars().any(char::is_whitespace);
        if local.is_empty() || !domain_ok || domain.contains('@') || !no_spaces {
            return Err(EmailError::Malformed);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a queued email stands in the durable outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Claimed by one worker.
    Sending,
    Sent,
    /// Given up on after its last attempt.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [Self::Pending, Self::Sending, Self::Sent, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_delivery_status_reads_back_from_its_word_and_nothing_else_does() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DeliveryStatus::parse("bounced"), None);
    }

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn empty_input_asks_for_an_address() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn addresses_without_a_proper_domain_are_refused() {
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.com",
            "ada@example..com",
            "a b@example.com",
            "a@b@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Malformed), "{bad}");
        }
    }

    #[test]
    fn overlong_addresses_are_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
