//! Settings → Account: change one's own password (ends every other session).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::users::ChangePassword;
use crate::ui::components::form::{TextField, action_error};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::settings::SettingsTabs;

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let query = use_query_map();
    let error = action_error(change);
    let field_error = move |field: &'static str| {
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.field_errors().for_field(field).map(str::to_owned))
        })
    };
    let changed = move || query.read().get("changed").is_some();
    view! {
        <PageHeader title="Settings" description="Your account, and API tokens for the REST API and the tenantry CLI."/>
        <SettingsTabs current="/settings/account"/>
        <section class="card">
            <h2>"Change your password"</h2>
            <p class="muted">"Every other signed-in session of your account ends; this one stays signed in."</p>
            {move || changed().then(|| view! { <Alert tone="success"><span data-testid="password-changed">"Your password was changed. Other sessions were signed out."</span></Alert> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action=change attr:class="form" attr:novalidate=true>
                <TextField name="current_password" label="Current password" input_type="password" autocomplete="current-password" required=true error=field_error("current_password")/>
                <TextField name="password" label="New password" input_type="password" autocomplete="new-password" required=true
                    help="At least 12 characters, not one of the most common passwords." error=field_error("password")/>
                <TextField name="password_confirm" label="Repeat the new password" input_type="password" autocomplete="new-password" required=true error=field_error("password_confirm")/>
                <button type="submit" class="btn btn-primary">"Change password"</button>
            </ActionForm>
        </section>
    }
}
