//! The page behind an invitation link: who invited whom to what, then a name
//! and a password (or, for an existing account, its password) to accept.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::access::users::AcceptInvitation;
use crate::api::access::users::InvitationStatus;
use crate::api::access::users::InvitationView;
use crate::api::access::users::describe_invitation;
use crate::error::AppError;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::Alert;

#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invitation = Resource::new(token, describe_invitation);
    view! {
        <Title text="Accept invitation"/>
        <main id="main" class="login-page">
            <section class="login-card card">
                <div class="brand brand-large"><span class="brand-mark" aria-hidden="true">"▦"</span>"Tenantry"</div>
                <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Checking the invitation…"</p> }>
                    {move || Suspend::new(async move {
                        match invitation.await {
                            Ok(view_data) if view_data.status == InvitationStatus::Pending => {
                                view! { <AcceptForm token=token() invitation=view_data/> }.into_any()
                            }
                            Ok(view_data) => view! {
                                <h1>"This invitation cannot be used"</h1>
                                <Alert tone="danger"><span data-testid="invitation-closed">{closed_message(view_data.status)}</span></Alert>
                                <p><a class="btn btn-secondary" href="/login">"Go to sign in"</a></p>
                            }.into_any(),
                            Err(AppError::NotFound) => view! {
                                <h1>"Invitation not found"</h1>
                                <Alert tone="danger">"This link is not valid. Check that you copied all of it, or ask for a new invitation."</Alert>
                            }.into_any(),
                            Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

fn closed_message(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Accepted => {
            "It was already accepted. Sign in with your email and password."
        }
        InvitationStatus::Expired => {
            "It has expired. Ask the person who invited you to send a new one."
        }
        InvitationStatus::Revoked => {
            "It was withdrawn. Ask the person who invited you to send a new one."
        }
        InvitationStatus::Pending => "",
    }
}

#[component]
fn AcceptForm(token: String, invitation: InvitationView) -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = action_error(accept);
    let field_error = move |field: &'static str| field_message(error, field);
    let place = match &invitation.tenant_name {
        Some(tenant) => format!("{} of {tenant}", invitation.role_name),
        None => invitation.role_name.clone(),
    };
    view! {
        <h1>"Join Tenantry"</h1>
        <p data-testid="invitation-summary">
            <strong>{invitation.invited_by.clone()}</strong>" invited "<strong>{invitation.email.clone()}</strong>" as "<strong>{place}</strong>"."
        </p>
        <p class="muted">{format!("The invitation expires on {} UTC.", invitation.expires_at.format("%Y-%m-%d %H:%M"))}</p>
        {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <ActionForm action=accept attr:class="form" attr:novalidate=true>
            <input type="hidden" name="token" value=token/>
            <input type="hidden" name="username" autocomplete="username" value=invitation.email.clone()/>
            {if invitation.account_exists {
                view! {
                    <p>"You already have an account with this address. Confirm with its password to add the new role to it."</p>
                    <input type="hidden" name="display_name" value=""/>
                    <input type="hidden" name="password_confirm" value=""/>
                    <TextField name="password" label="Your current password" input_type="password" autocomplete="current-password" required=true error=field_error("password")/>
                }.into_any()
            } else {
                view! {
                    <TextField name="display_name" label="Your name" autocomplete="name" required=true autofocus=true error=field_error("display_name")/>
                    <TextField name="password" label="Choose a password" input_type="password" autocomplete="new-password" required=true
                        help="At least 12 characters; a passphrase of a few words works well." error=field_error("password")/>
                    <TextField name="password_confirm" label="Repeat the password" input_type="password" autocomplete="new-password" required=true error=field_error("password_confirm")/>
                }.into_any()
            }}
            <button type="submit" class="btn btn-primary btn-block" disabled=move || accept.pending().get()>
                {move || if accept.pending().get() { "Accepting…" } else { "Accept and sign in" }}
            </button>
        </ActionForm>
    }
}
