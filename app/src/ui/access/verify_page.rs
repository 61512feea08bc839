//! The second sign-in step for accounts with two-factor authentication.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::access::two_factor::VerifyLogin;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::Alert;

#[component]
pub fn VerifyLoginPage() -> impl IntoView {
    let verify = ServerAction::<VerifyLogin>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(verify);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <Title text="Two-factor authentication"/>
        <main id="main" class="login-page">
            <section class="login-card card">
                <div class="brand brand-large"><span class="brand-mark" aria-hidden="true">"▦"</span>"Tenantry"</div>
                <h1>"Enter your code"</h1>
                <p class="muted">"Open your authenticator app and enter the 6-digit code for Tenantry. Lost your phone? Enter one of your recovery codes."</p>
                {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger"><span data-testid="verify-error">{e.to_string()}</span></Alert> })}
                <ActionForm action=verify attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="next" value=next/>
                    <TextField name="code" label="Authentication code" autocomplete="one-time-code" required=true autofocus=true error=field_error("code")/>
                    <button type="submit" class="btn btn-primary btn-block">"Verify"</button>
                </ActionForm>
                <p class="login-links"><a href="/login">"Start again"</a></p>
            </section>
        </main>
    }
}
