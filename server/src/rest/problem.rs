//! Errors of the REST API as RFC 9457 problem details
//! (`application/problem+json`), mapped once from the service error, and the
//! extractors that turn malformed input into a 400 problem instead of axum's
//! plain-text rejections.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use app::backend::error::ServiceError;
use app::domain::validation::FieldErrors;

/// A problem document. `errors` lists field-level problems of invalid input.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The request field, as named in the request body or query.
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldProblem>,
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: vec![],
            retry_after_seconds: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            detail,
        )
    }

    /// Invalid input, one message per field.
    pub fn invalid(errors: FieldErrors) -> Self {
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid input",
            "Some fields are invalid; see `errors`.",
        );
        problem.errors = errors
            .0
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                message: e.message,
            })
            .collect();
        problem
    }

    /// Renames field names of the service's forms to the names in the request body.
    pub fn rename_fields(mut self, rename: impl Fn(&str) -> Option<&'static str>) -> Self {
        for error in &mut self.errors {
            if let Some(name) = rename(&error.field) {
                error.field = name.to_owned();
            }
        }
        self
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthenticated | ServiceError::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Not signed in",
                "Send `Authorization: Bearer <token>` with an API token from Settings, or a session cookie.",
            ),
            ServiceError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                "Your role does not include the permission this request needs.",
            ),
            ServiceError::NotFound => Self::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                "Nothing with that id exists (or you may not see it).",
            ),
            ServiceError::Conflict(message) => {
                Self::new(StatusCode::CONFLICT, "conflict", "Conflict", message)
            }
            ServiceError::Validation(errors) => Self::invalid(errors),
            ServiceError::Policy(reason) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                "Refused by policy",
                reason,
            ),
            ServiceError::Refused(reason) => {
                Self::new(StatusCode::FORBIDDEN, "withheld", "Withheld", reason)
            }
            ServiceError::RateLimited {
                retry_after_seconds,
            } => {
                let mut problem = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    format!("Too many attempts; retry after {retry_after_seconds} seconds."),
                );
                problem.retry_after_seconds = Some(retry_after_seconds);
                problem
            }
            ServiceError::Internal(cause) => {
                // Logged in full here; the client gets no internals.
                tracing::error!(cause = %cause.chain(), "internal error in REST handler");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "Something went wrong on our side; the request id in the response headers helps support find it.",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("https://tenantry.dev/problems/{}", self.kind),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            errors: self.errors,
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as JSON with `Content-Type: application/json`.",
            ),
            JsonRejection::JsonDataError(err) => Self::bad_request(format!(
                "The JSON does not match the expected shape: {}",
                err.body_text()
            )),
            other => {
                Self::bad_request(format!("The body is not valid JSON: {}", other.body_text()))
            }
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(format!("Invalid query string: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(format!("Invalid path: {}", rejection.body_text()))
    }
}

/// `axum::Json` whose rejections are problem documents.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query` whose rejections are problem documents.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path` whose rejections are problem documents.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

pub type ApiResult<T> = Result<T, ApiError>;
