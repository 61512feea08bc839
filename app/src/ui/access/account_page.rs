//! Settings → Account: change one's own password (ends every other session).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::access::two_factor::ConfirmTwoFactor;
use crate::api::access::two_factor::DisableTwoFactor;
use crate::api::access::two_factor::StartTwoFactor;
use crate::api::access::two_factor::two_factor_status;
use crate::api::access::users::ChangePassword;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::settings::SettingsTabs;

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let query = use_query_map();
    let error = action_error(change);
    let field_error = move |field: &'static str| field_message(error, field);
    let changed = move || query.read().get("changed").is_some();
    view! {
        <PageHeader title="Settings" description="Your account, notifications, roles, and API tokens for the REST API and the tenantry CLI."/>
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
        <TwoFactorSection/>
    }
}

#[component]
fn TwoFactorSection() -> impl IntoView {
    let start = ServerAction::<StartTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = Resource::new(
        move || {
            (
                start.version().get(),
                confirm.version().get(),
                disable.version().get(),
            )
        },
        |_| two_factor_status(),
    );
    let confirm_error = action_error(confirm);
    let disable_error = action_error(disable);
    view! {
        <section class="card" data-testid="two-factor">
            <h2>"Two-factor authentication"</h2>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(mut view_data) = status.await else {
                        return view! { <Alert tone="danger">"Could not load the two-factor settings."</Alert> }.into_any();
                    };
                    // Hydrated, fresh results arrive as action values.
                    if view_data.new_recovery_codes.is_none() {
                        view_data.new_recovery_codes = confirm.value().get_untracked().and_then(|r| r.ok());
                    }
                    let codes = view_data.new_recovery_codes.clone().map(|codes| view! {
                        <div class="alert alert-success" role="status" data-testid="recovery-codes">
                            <p><strong>"Two-factor authentication is on. Save these recovery codes now — each works once, and they will not be shown again."</strong></p>
                            <ul class="recovery-codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
                        </div>
                    });
                    match (view_data.enabled_at, view_data.enrollment) {
                        (Some(since), _) => view! {
                            {codes}
                            <p><span class="badge tone-success"><span class="badge-glyph" aria-hidden="true">"✓"</span>"On"</span>
                                {format!(" since {} · {} recovery codes left", since.format("%Y-%m-%d"), view_data.recovery_codes_left)}</p>
                            {move || disable_error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
                            <ActionForm action=disable attr:class="form" attr:novalidate=true>
                                <TextField name="password" label="Your password" input_type="password" autocomplete="current-password" required=true error=field_message(disable_error, "password")/>
                                <TextField name="code" label="A current code or a recovery code" autocomplete="one-time-code" required=true error=field_message(disable_error, "code")/>
                                <button type="submit" class="btn btn-danger">"Turn off two-factor authentication"</button>
                            </ActionForm>
                        }.into_any(),
                        (None, Some(enrollment)) => view! {
                            <ol class="steps-list">
                                <li>"Scan this code with an authenticator app (or type the key)."</li>
                                <li>"Enter the 6-digit code the app shows."</li>
                            </ol>
                            <div class="qr" inner_html=enrollment.qr_svg></div>
                            <p>"Key: " <code data-testid="totp-secret">{enrollment.secret}</code></p>
                            {move || confirm_error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
                            <ActionForm action=confirm attr:class="form" attr:novalidate=true>
                                <TextField name="code" label="Code from the app" autocomplete="one-time-code" required=true error=field_message(confirm_error, "code")/>
                                <button type="submit" class="btn btn-primary">"Turn on"</button>
                            </ActionForm>
                        }.into_any(),
                        (None, None) => view! {
                            <p class="muted">"Off. With it on, signing in also asks for a code from an authenticator app on your phone."</p>
                            <ActionForm action=start attr:class="inline-form">
                                <button type="submit" class="btn btn-secondary">"Set up two-factor authentication"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
