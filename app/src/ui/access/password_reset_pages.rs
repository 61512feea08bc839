//! Forgotten passwords: ask for a link by email, then choose a new password
//! on the page the link opens.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::access::users::RequestPasswordReset;
use crate::api::access::users::ResetPassword;
use crate::api::access::users::describe_password_reset;
use crate::error::AppError;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::Alert;

#[component]
fn StandaloneCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main id="main" class="login-page">
            <section class="login-card card">
                <div class="brand brand-large"><span class="brand-mark" aria-hidden="true">"▦"</span>"Tenantry"</div>
                <h1>{title}</h1>
                {children()}
            </section>
        </main>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let query = use_query_map();
    let error = action_error(request);
    let field_error = move |field: &'static str| field_message(error, field);
    let sent = move || {
        query.read().get("sent").is_some() || request.value().get().is_some_and(|r| r.is_ok())
    };
    view! {
        <StandaloneCard title="Reset your password">
            {move || if sent() {
                view! {
                    <Alert tone="success"><span data-testid="reset-sent">"If an active account uses that address, we sent it a link to choose a new password. It expires within the hour."</span></Alert>
                    <p><a href="/login">"Back to sign in"</a></p>
                }.into_any()
            } else {
                view! {
                    <p class="muted">"Enter the email you sign in with. We will send a link to choose a new password."</p>
                    {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
                    <ActionForm action=request attr:class="form" attr:novalidate=true>
                        <TextField name="email" label="Email" input_type="email" autocomplete="username" required=true autofocus=true error=field_error("email")/>
                        <button type="submit" class="btn btn-primary btn-block">"Send the link"</button>
                    </ActionForm>
                    <p><a href="/login">"Back to sign in"</a></p>
                }.into_any()
            }}
        </StandaloneCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let reset = Resource::new(token, describe_password_reset);
    let submit = ServerAction::<ResetPassword>::new();
    let error = action_error(submit);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <StandaloneCard title="Choose a new password">
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match reset.await {
                        Ok(view_data) if view_data.usable => view! {
                            <p>"For " <strong data-testid="reset-email">{view_data.email.clone()}</strong>". Every signed-in session of this account ends when you save."</p>
                            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
                            <ActionForm action=submit attr:class="form" attr:novalidate=true>
                                <input type="hidden" name="token" value=token()/>
                                <input type="hidden" name="username" autocomplete="username" value=view_data.email/>
                                <TextField name="password" label="New password" input_type="password" autocomplete="new-password" required=true autofocus=true
                                    help="At least 12 characters; a passphrase of a few words works well." error=field_error("password")/>
                                <TextField name="password_confirm" label="Repeat the new password" input_type="password" autocomplete="new-password" required=true error=field_error("password_confirm")/>
                                <button type="submit" class="btn btn-primary btn-block">"Save the new password"</button>
                            </ActionForm>
                        }.into_any(),
                        Ok(_) | Err(AppError::NotFound) => view! {
                            <Alert tone="danger"><span data-testid="reset-unusable">"This link was already used, has expired or is not valid."</span></Alert>
                            <p><a class="btn btn-secondary" href="/forgot-password">"Ask for a new link"</a></p>
                        }.into_any(),
                        Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Suspense>
        </StandaloneCard>
    }
}
