//! The error every server function returns. It is serialisable, free of
//! database types, and its messages are safe to show to the user: internal
//! causes are logged on the server and never sent.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use crate::domain::validation::{FieldError, FieldErrors};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Email or password is incorrect.")]
    InvalidCredentials,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Please correct the highlighted fields.")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Policy(String),
    /// Held, but withheld for a reason the person should read (a suspended
    /// or read-only tenant, an access restriction): a 403 that says why.
    #[error("{0}")]
    Refused(String),
    /// Too many attempts: try again after this many seconds.
    #[error("Too many attempts. Wait {} and try again.", wait_text(*.0))]
    RateLimited(u64),
    #[error(
        "Something went wrong on our side. Please try again; if it persists, contact the operator with the request id."
    )]
    Internal,
    /// Transport problems (network down, server unreachable) seen by the browser.
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl AppError {
    pub fn field_errors(&self) -> FieldErrors {
        match self {
            AppError::Validation(fields) => FieldErrors(fields.clone()),
            _ => FieldErrors::default(),
        }
    }

    /// The HTTP status that best describes this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::Forbidden | AppError::Refused(_) => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Validation(_) | AppError::Policy(_) => 422,
            AppError::RateLimited(_) => 429,
            AppError::Internal => 500,
            AppError::Transport(_) => 502,
        }
    }
}

fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors.0)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(message) | ServerFnErrorErr::Response(message) => {
                AppError::Transport(message)
            }
            // Argument decoding problems are input errors, not crashes.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::Validation(vec![FieldError::new(
                    "form",
                    "The submitted form was incomplete or malformed. Reload the page and try again.",
                )])
            }
            _ => AppError::Internal,
        }
    }
}
