use serde::{Deserialize, Serialize};

/// One problem with one input field, shown next to that field in forms and
/// listed in API problem details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects every field problem of a form so the user sees them all at once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

/// A reason written by a person for the record (an audit detail, a notice,
/// a certificate): 3–500 characters on one line. `ask` says what to write
/// when it is missing ("Say why the tenant is offboarded").
pub fn check_reason_line(raw: &str, ask: &str) -> Result<String, String> {
    let reason = raw.trim();
    if reason.chars().count() < 3 {
        return Err(format!("{ask} (at least 3 characters)."));
    }
    if reason.chars().count() > 500 {
        return Err("Keep the reason under 500 characters.".into());
    }
    if reason.chars().any(char::is_control) {
        return Err("Write the reason on one line, without control characters.".into());
    }
    Ok(reason.to_owned())
}

/// A list's page and page size, as every list checks them: pages start at
/// 1, sizes run from 1 to `max_per_page`.
pub fn check_paging(
    errors: &mut FieldErrors,
    page: Option<u64>,
    per_page: Option<u64>,
    max_per_page: u64,
) {
    if page == Some(0) {
        errors.push("page", "Pages start at 1.");
    }
    if per_page.is_some_and(|n| !(1..=max_per_page).contains(&n)) {
        errors.push(
            "per_page",
            format!("Use 1 to {max_per_page} items per page."),
        );
    }
}

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(value)` when nothing was collected, otherwise the collected errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_start_at_one_and_sizes_stay_within_the_limit() {
        let mut errors = FieldErrors::default();
        check_paging(&mut errors, Some(1), Some(100), 100);
        assert!(errors.is_empty());
        check_paging(&mut errors, Some(0), Some(101), 100);
        assert!(errors.for_field("page").is_some());
        assert_eq!(
            errors.for_field("per_page"),
            Some("Use 1 to 100 items per page.")
        );
    }
}
