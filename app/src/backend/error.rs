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
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ServiceError::Internal(cause.to_string())
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
        ServiceError::Internal(format!("database: {err}"))
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
            ServiceError::RateLimited {
                retry_after_seconds,
            } => AppError::RateLimited(retry_after_seconds),
            ServiceError::Internal(cause) => {
                // The cause is logged in full here and never sent to the client.
                tracing::error!(%cause, "internal service error");
                AppError::Internal
            }
        }
    }
}
