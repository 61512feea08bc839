//! Settings → Webhooks: the endpoints the viewer may see (the vendor's hear
//! every tenant, a tenant's only its own), and a form to subscribe a URL.
//! The signing secret is shown once.

use leptos::prelude::*;

use crate::api::events::{CreateWebhook, EndpointView, WebhooksView, list_webhooks};
use crate::error::AppError;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader, SecretOnce};
use crate::ui::settings::SettingsTabs;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let data = Resource::new(move || create.version().get(), |_| list_webhooks());
    let error = action_error(create);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <PageHeader title="Settings" description="Your account, notifications, roles, API tokens and webhook endpoints."/>
        <SettingsTabs current="/settings/webhooks"/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading webhook endpoints…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(mut view_data) => {
                        // Hydrated, the secret arrives as the action's value.
                        let created = create.value().get_untracked().and_then(|r| r.ok());
                        view_data.new_secret = view_data.new_secret.or(created.map(|c| c.secret));
                        view! { <EndpointList data=view_data/> }.into_any()
                    }
                    Err(AppError::Forbidden) => view! {
                        <Alert tone="danger">"Only people who may read tenants can see webhook endpoints."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
        <section class="card">
            <h2>"Subscribe a URL"</h2>
            <p class="muted">
                "Each event is POSTed as JSON, signed as Standard Webhooks asks ("
                <code>"webhook-id"</code>", "<code>"webhook-timestamp"</code>", "<code>"webhook-signature"</code>
                "); retries keep the same " <code>"webhook-id"</code> ". Only 2xx answers count."
            </p>
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger"><span data-testid="webhook-error">{e.to_string()}</span></Alert> })}
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <TextField name="url" label="URL" required=true placeholder="https://hooks.example.com/tenantry"
                    help="Where the events go: an http(s) address the portal may reach." error=field_error("url")/>
                <TextField name="tenant" label="Tenant"
                    help="The tenant (slug) whose events it hears. Leave blank to hear every tenant (vendor only)." error=field_error("tenant")/>
                <TextField name="event_types" label="Event types" placeholder="change.*, tenant.created"
                    help="Comma-separated types or groups; blank for every type. The catalogue: GET /api/v1/event-types." error=field_error("event_types")/>
                <TextField name="description" label="Description" error=field_error("description")/>
                <button type="submit" class="btn btn-primary">"Subscribe"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn EndpointList(data: WebhooksView) -> impl IntoView {
    view! {
        {data.new_secret.map(|secret| view! {
            <SecretOnce heading="Copy this signing secret now — it will not be shown again." value=secret testid="new-webhook-secret">
                "Verify each delivery's " <code>"webhook-signature"</code> " with it (HMAC-SHA256 of " <code>"id.timestamp.body"</code> ")."
            </SecretOnce>
        })}
        {if data.endpoints.is_empty() {
            view! {
                <section class="card empty-state" data-testid="webhooks-empty">
                    <h2>"No webhook endpoints yet"</h2>
                    <p class="muted">"Subscribe a URL below to hear about changes, rollouts, deployments and tenants as they happen."</p>
                </section>
            }.into_any()
        } else {
            view! {
                <section class="card table-card">
                    <div class="table-wrap">
                        <table class="table" data-testid="webhooks-table">
                            <caption class="visually-hidden">"Webhook endpoints, oldest first"</caption>
                            <thead><tr>
                                <th scope="col">"URL"</th><th scope="col">"Hears"</th><th scope="col">"Types"</th>
                                <th scope="col">"Status"</th><th scope="col" class="num">"Waiting"</th><th scope="col" class="num">"Dead letters"</th>
                            </tr></thead>
                            <tbody>
                                {data.endpoints.into_iter().map(|e| view! { <EndpointRow endpoint=e/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
            }.into_any()
        }}
    }
}

#[component]
fn EndpointRow(endpoint: EndpointView) -> impl IntoView {
    let (status, tone, glyph) = endpoint_status(&endpoint);
    let types = if endpoint.event_types.is_empty() {
        "Every type".to_owned()
    } else {
        endpoint.event_types.join(", ")
    };
    view! {
        <tr>
            <td><a href=format!("/settings/webhooks/{}", endpoint.id)><code>{endpoint.url.clone()}</code></a>
                {(!endpoint.description.is_empty()).then(|| view! { <div class="muted">{endpoint.description.clone()}</div> })}</td>
            <td class="nowrap">{if endpoint.tenant_id.is_some() { "One tenant" } else { "Every tenant" }}</td>
            <td>{types}</td>
            <td><span class=format!("badge tone-{tone}")><span class="badge-glyph" aria-hidden="true">{glyph}</span>{status}</span></td>
            <td class="num">{endpoint.pending}</td>
            <td class="num">{endpoint.dead}</td>
        </tr>
    }
}

/// (label, tone, glyph) of an endpoint's state.
pub fn endpoint_status(endpoint: &EndpointView) -> (&'static str, &'static str, &'static str) {
    match (endpoint.enabled, endpoint.failing_since.is_some()) {
        (false, _) => ("Disabled", "danger", "⊘"),
        (true, true) => ("Failing", "attention", "⚠"),
        (true, false) => ("Delivering", "success", "✓"),
    }
}
