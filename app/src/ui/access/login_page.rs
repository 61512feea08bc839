use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use server_fn::ServerFn;

use crate::api::access::auth::Login;
use crate::error::AppError;
use crate::ui::components::form::{TextField, field_message, url_error_for};
use crate::ui::components::page::Alert;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let url_error = url_error_for(<Login as ServerFn>::PATH);
    // With JavaScript the action holds the error; without, it came back in the URL.
    let error = Memo::new(move |_| {
        login
            .value()
            .get()
            .and_then(|result| result.err())
            .or_else(|| url_error.get())
    });
    let field_error = move |field: &'static str| field_message(error, field);
    let general_error = move || match error.get() {
        None | Some(AppError::Validation(_)) => None,
        Some(other) => Some(other.to_string()),
    };
    let signed_out = move || query.read().get("signed_out").is_some();
    let password_reset = move || query.read().get("password_reset").is_some();

    view! {
        <Title text="Sign in"/>
        <main id="main" class="login-page">
            <section class="login-card card">
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true">"▦"</span>
                    "Tenantry"
                </div>
                <h1>"Sign in"</h1>
                <p class="muted">"The tenant control plane. Sign in with your work email."</p>
                {move || general_error().map(|message| view! {
                    <Alert tone="danger"><span data-testid="login-error">{message}</span></Alert>
                })}
                {move || signed_out().then(|| view! { <Alert tone="info">"You have been signed out."</Alert> })}
                {move || password_reset().then(|| view! { <Alert tone="success"><span data-testid="password-reset-done">"Your password was changed. Sign in with the new one."</span></Alert> })}
                <ActionForm action=login attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="next" value=next/>
                    <TextField name="email" label="Email" input_type="email" autocomplete="username" required=true autofocus=true error=field_error("email")/>
                    <TextField name="password" label="Password" input_type="password" autocomplete="current-password" required=true error=field_error("password")/>
                    <button type="submit" class="btn btn-primary btn-block" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="login-links"><a href="/forgot-password">"Forgot your password?"</a></p>
            </section>
        </main>
    }
}
