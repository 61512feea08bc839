//! What a log line is about, recorded on the span it belongs to: the
//! request span (router) and the job span (`jobs::run_claimed`) declare
//! these fields empty; code that learns the tenant, the person or the change
//! fills them in, and every line inside the span carries them (JSON logs
//! list the span's fields). A field the current span did not declare is
//! ignored, so recording is always safe.

use uuid::Uuid;

/// A request, or the job it started, concerns this change (and its story
/// can be pulled from the logs by `correlation_id`).
pub fn change(id: Uuid, correlation_id: Option<&str>) {
    let span = tracing::Span::current();
    span.record("change", tracing::field::display(id));
    if let Some(correlation) = correlation_id.filter(|c| !c.is_empty()) {
        span.record("correlation_id", correlation);
    }
}

/// The tenant the work is about.
pub fn tenant(id: Uuid, slug: &str, environment: &str) {
    let span = tracing::Span::current();
    span.record("tenant", tracing::field::display(id));
    span.record("tenant_slug", slug);
    span.record("environment", environment);
}

/// Who is asking: the person's id (never their address or a secret).
pub fn principal(user_id: Uuid) {
    tracing::Span::current().record("principal", tracing::field::display(user_id));
}

pub fn rollout(id: Uuid) {
    tracing::Span::current().record("rollout", tracing::field::display(id));
}

pub fn deployment(id: Uuid) {
    tracing::Span::current().record("deployment", tracing::field::display(id));
}

/// The span of one unit of work (a request's handler, a job) with every
/// field the functions above may fill in declared empty, then the fields
/// known at the start.
#[macro_export]
macro_rules! work_span {
    ($name:literal, $($fields:tt)*) => {
        ::tracing::info_span!(
            $name,
            tenant = ::tracing::field::Empty,
            tenant_slug = ::tracing::field::Empty,
            environment = ::tracing::field::Empty,
            principal = ::tracing::field::Empty,
            change = ::tracing::field::Empty,
            rollout = ::tracing::field::Empty,
            deployment = ::tracing::field::Empty,
            $($fields)*
        )
    };
}
