//! Settings → API tokens: create (the secret is shown once), list with last
//! use, and revoke. Tokens authenticate the REST API and the CLI.

use leptos::prelude::*;

use crate::api::access::api_tokens::ApiTokenRow;
use crate::api::access::api_tokens::ApiTokensView;
use crate::api::access::api_tokens::CreateApiToken;
use crate::api::access::api_tokens::RevokeApiToken;
use crate::api::access::api_tokens::list_api_tokens;
use crate::error::AppError;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader, SecretOnce};
use crate::ui::settings::SettingsTabs;

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let view_data = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    let error = action_error(create);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <PageHeader title="Settings" description="Your account, notifications, roles, and API tokens for the REST API and the tenantry CLI."/>
        <SettingsTabs current="/settings/api-tokens"/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(mut data) => {
                        // Hydrated, the secret arrives as the action's value.
                        let created = create.value().get_untracked().and_then(|r| r.ok());
                        data.new_token = data.new_token.or(created.map(|c| c.token));
                        view! { <TokenList data revoke/> }.into_any()
                    }
                    Err(AppError::Forbidden) => view! {
                        <Alert tone="danger">"Only people who may manage settings can see API tokens."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
        <section class="card">
            <h2>"Create a token"</h2>
            <p class="muted">"A token acts with your permissions. Name it after what will use it; you will see the secret once."</p>
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action=create attr:class="form token-form" attr:novalidate=true>
                <TextField name="name" label="Name" required=true error=field_error("name")/>
                <TextField name="expires_in_days" label="Expires in (days)" input_type="number"
                    help="Leave blank for a token that does not expire." error=field_error("expires_in_days")/>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let bindings = view_data.await.map(|d| d.bindings).unwrap_or_default();
                        view! {
                            <div class="field" class:field-invalid=move || field_error("binding").get().is_some()>
                                <label for="field-binding">"Acts as"</label>
                                {move || field_error("binding").get().map(|m| view! { <p class="field-error" id="err-binding"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                                <select id="field-binding" name="binding" aria-describedby="help-binding">
                                    <option value="">"All my roles"</option>
                                    {bindings.into_iter().map(|(id, label)| view! { <option value=id.to_string()>{label}</option> }).collect_view()}
                                </select>
                                <p class="field-help" id="help-binding">"Limit the token to one of your roles, e.g. a single tenant."</p>
                            </div>
                        }
                    })}
                </Suspense>
                <button type="submit" class="btn btn-primary">"Create token"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TokenList(data: ApiTokensView, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    view! {
        {data.new_token.map(|token| view! {
            <SecretOnce heading="Copy this token now — it will not be shown again." value=token testid="new-token">
                "Use it as " <code>"Authorization: Bearer <token>"</code> " or " <code>"TENANTRY_TOKEN=<token> tenantry tenants list"</code> "."
            </SecretOnce>
        })}
        {if data.tokens.is_empty() {
            view! {
                <section class="card empty-state" data-testid="tokens-empty">
                    <h2>"No API tokens yet"</h2>
                    <p class="muted">"Create one below to use the REST API or the CLI."</p>
                </section>
            }.into_any()
        } else {
            view! {
                <section class="card table-card">
                    <div class="table-wrap">
                        <table class="table" data-testid="tokens-table">
                            <caption class="visually-hidden">"API tokens, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Token"</th><th scope="col">"Acts as"</th><th scope="col">"Created"</th>
                                <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"Status"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {data.tokens.into_iter().map(|t| view! { <TokenRow token=t revoke/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
            }.into_any()
        }}
    }
}

#[component]
fn TokenRow(token: ApiTokenRow, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>, none: &'static str| {
        at.map(|at| at.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| none.to_owned())
    };
    let expired = token.expires_at.is_some_and(|at| at <= chrono::Utc::now());
    let (status, tone, glyph) = match (token.revoked_at.is_some(), expired) {
        (true, _) => ("Revoked", "neutral", "⊘"),
        (false, true) => ("Expired", "attention", "⏱"),
        (false, false) => ("Active", "success", "✓"),
    };
    let active = status == "Active";
    let name = token.name.clone();
    view! {
        <tr>
            <td class="nowrap">{token.name.clone()}</td>
            <td><code>{token.prefix}"…"</code></td>
            <td>{token.limited_to.clone().unwrap_or_else(|| "All roles of its creator".into())}</td>
            <td class="nowrap">{token.created_at.format("%Y-%m-%d %H:%M").to_string()}" · "<span class="muted">{token.created_by}</span></td>
            <td class="nowrap">{when(token.expires_at, "Never")}</td>
            <td class="nowrap">{when(token.last_used_at, "Never used")}</td>
            <td><span class=format!("badge tone-{tone}")><span class="badge-glyph" aria-hidden="true">{glyph}</span>{status}</span></td>
            <td>
                {active.then(|| view! {
                    <ActionForm action=revoke attr:class="inline-form">
                        <input type="hidden" name="id" value=token.id.to_string()/>
                        <button type="submit" class="btn btn-sm btn-danger" aria-label=format!("Revoke {name}")>"Revoke"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
