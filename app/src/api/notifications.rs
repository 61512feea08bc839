//! Notification preferences (Settings → Notifications): per kind, by email
//! and in the app.

use crate::error::AppError;
use leptos::prelude::*;
use std::collections::HashMap;

pub use crate::model::notifications::*;

#[server(prefix = "/api/fn", endpoint = "notification_preferences")]
pub async fn notification_preferences() -> Result<Vec<PreferenceRow>, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::notification_prefs;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(notification_prefs::rows(&state.reads, &principal).await)
}

/// The checkboxes arrive as `email[<kind>]=on` and `in_app[<kind>]=on`;
/// an unchecked box is simply absent.
#[server(prefix = "/api/fn", endpoint = "save_notification_preferences")]
pub async fn save_notification_preferences(
    #[server(default)] email: HashMap<String, String>,
    #[server(default)] in_app: HashMap<String, String>,
) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::notification_prefs;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let email: Vec<&str> = email.keys().map(String::as_str).collect();
    let in_app: Vec<&str> = in_app.keys().map(String::as_str).collect();
    respond(
        notification_prefs::save(&state.db, &principal, &request_context(), &email, &in_app).await,
    )
}

#[server(prefix = "/api/fn", endpoint = "notification_inbox")]
pub async fn notification_inbox() -> Result<Vec<InboxItem>, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::notices;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(notices::inbox(&state.reads, &principal).await)
}

#[server(prefix = "/api/fn", endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<u64, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::notices;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(notices::unread_count(&state.reads, &principal).await)
}

#[server(prefix = "/api/fn", endpoint = "mark_notifications_read")]
pub async fn mark_notifications_read() -> Result<(), AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::notices;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(notices::mark_all_read(&state.db, &principal).await)
}
