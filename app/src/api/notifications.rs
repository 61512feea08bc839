//! Notification preferences (Settings → Notifications): per kind, by email
//! and in the app.

use crate::error::AppError;
use leptos::prelude::*;
use std::collections::HashMap;

pub use crate::model::notifications::*;

#[server(prefix = "/api/fn", endpoint = "notification_preferences")]
pub async fn notification_preferences() -> Result<Vec<PreferenceRow>, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::notifications::notification_prefs;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(notification_prefs::rows(&ctx).await)
}

/// The checkboxes arrive as `email[<kind>]=on` and `in_app[<kind>]=on`;
/// an unchecked box is simply absent.
#[server(prefix = "/api/fn", endpoint = "save_notification_preferences")]
pub async fn save_notification_preferences(
    #[server(default)] email: HashMap<String, String>,
    #[server(default)] in_app: HashMap<String, String>,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::notifications::notification_prefs;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let email: Vec<&str> = email.keys().map(String::as_str).collect();
    let in_app: Vec<&str> = in_app.keys().map(String::as_str).collect();
    respond(notification_prefs::save(&ctx, &email, &in_app).await)
}

#[server(prefix = "/api/fn", endpoint = "notification_inbox")]
pub async fn notification_inbox() -> Result<Vec<InboxItem>, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::notifications::notices;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(notices::inbox(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<u64, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::notifications::notices;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(notices::unread_count(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "mark_notifications_read")]
pub async fn mark_notifications_read() -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::notifications::notices;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(notices::mark_all_read(&ctx).await)
}

/// How the signed-in person's notification emails go out: at once, or as a
/// daily or weekly digest.
#[server(prefix = "/api/fn", endpoint = "email_digest_settings")]
pub async fn email_digest_settings() -> Result<DigestSettingsView, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::notifications::digests;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(digests::settings(&ctx).await)
}

#[server(prefix = "/api/fn", endpoint = "save_email_digest_settings")]
pub async fn save_email_digest_settings(
    cadence: String,
    hour: String,
    #[server(default)] weekday: String,
    timezone: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::notifications::digests;
    use crate::domain::notifications::digest::DigestSchedule;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    // A daily digest has no day; any valid day keeps the form simple.
    let weekday = if weekday.trim().is_empty() {
        "mon".to_owned()
    } else {
        weekday
    };
    let schedule = DigestSchedule::parse(&cadence, &hour, &weekday, &timezone);
    respond(digests::save_settings(&ctx, schedule).await)
}
