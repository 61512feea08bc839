//! The service layer's one error type, mapped once to `AppError` (server
//! functions) and to problem+json (REST, in the server crate).

use sea_orm::{DbErr, SqlErr};

use crate::domain::validation::FieldErrors;
use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not authenticated")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("validation failed: {0:?}")]
    Validation(FieldErrors),
    #[error("policy: {0}")]
    Policy(String),
    /// A permission the principal holds but may not use now, and why (the
    /// tenant is suspended or read-only, its access is restricted): 403.
    #[error("withheld: {0}")]
    Refused(String),
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("internal error: {0}")]
    Internal(#[source] InternalError),
}

type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An unexpected failure, with the error that caused it (and that error's
/// own causes), so the one log line that reports it shows the whole chain.
#[derive(Debug)]
pub struct InternalError {
    context: Option<&'static str>,
    cause: Cause,
}

impl InternalError {
    /// The context, the cause and every cause beneath it: `a: b: c`.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut next = self.cause.source();
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }
}

impl std::fmt::Display for InternalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.context {
            Some(context) => write!(f, "{context}: {}", self.cause),
            None => write!(f, "{}", self.cause),
        }
    }
}

impl std::error::Error for InternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.cause.as_ref())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// A command as the door read it from a form or a body. A service takes it
/// as it is and reports its field errors only after it has checked who asks
/// (and that the object exists for them): a caller who may not act gets the
/// same 403 or 404 whatever they sent.
pub type Parsed<T> = Result<T, FieldErrors>;

impl ServiceError {
    /// An unexpected failure; `cause` is kept (with its own causes) for the log.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        ServiceError::Internal(InternalError {
            context: None,
            cause: cause.into(),
        })
    }

    /// An unexpected failure while doing `context` (e.g. "audit write").
    pub fn internal_in(context: &'static str, cause: impl Into<Cause>) -> Self {
        ServiceError::Internal(InternalError {
            context: Some(context),
            cause: cause.into(),
        })
    }

    /// A unique-constraint violation becomes a field error naming `field`;
    /// anything else stays internal. (realworld's `on_constraint`.)
    pub fn on_unique_violation(err: DbErr, field: &str, message: &str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                let mut errors = FieldErrors::default();
                errors.push(field, message);
                ServiceError::Validation(errors)
            }
            _ => ServiceError::from(err),
        }
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        ServiceError::internal_in("database", err)
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(errors: FieldErrors) -> Self {
        ServiceError::Validation(errors)
    }
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthenticated => AppError::Unauthenticated,
            ServiceError::InvalidCredentials => AppError::InvalidCredentials,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Conflict(message) => AppError::Conflict(message),
            ServiceError::Validation(fields) => AppError::Validation(fields.0),
            ServiceError::Policy(reason) => AppError::Policy(reason),
            ServiceError::Refused(reason) => AppError::Refused(reason),
            ServiceError::RateLimited {
                retry_after_seconds,
            } => AppError::RateLimited(retry_after_seconds),
            ServiceError::Internal(cause) => {
                // The whole chain is logged here, once, and never sent to the client.
                tracing::error!(cause = %cause.chain(), "internal service error");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the key file")]
    struct ReadingKey(#[source] std::io::Error);

    #[test]
    fn an_internal_error_keeps_its_whole_cause_chain() {
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = ServiceError::internal_in("start-up", ReadingKey(missing));
        let ServiceError::Internal(internal) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            internal.chain(),
            "start-up: reading the key file: no such file"
        );
        let cause = std::error::Error::source(&err).and_then(|e| e.source());
        assert_eq!(cause.unwrap().to_string(), "reading the key file");
    }

    #[test]
    fn a_plain_message_is_an_internal_error_too() {
        let err = ServiceError::internal("unknown switch status");
        assert_eq!(err.to_string(), "internal error: unknown switch status");
    }
}
