//! One webhook endpoint: what it hears, its state, the success rate of its
//! latest attempts, and the delivery log (status, latency, the answer's
//! first 1 KB, next retry; filtered by outcome and event type, in pages);
//! send a test event, rotate the secret (shown once), send the dead letters
//! again, replay from a sequence, turn it on or off.

use leptos::prelude::*;

use crate::api::events::{
    AttemptQuery, AttemptRow, ReplayWebhook, RequeueWebhook, RotateWebhookSecret, SendWebhookTest,
    SetWebhookEnabled, WebhookView as PageData, load_webhook,
};
use crate::error::AppError;
use crate::ui::components::form::{FilterSelect, action_error};
use crate::ui::components::page::{Alert, PageHeader, SecretOnce};
use crate::ui::components::pager::Pager;
use crate::ui::components::time::utc;
use crate::ui::components::url::href_with_query;
use crate::ui::notifications::webhooks_page::endpoint_status;
use crate::ui::settings::SettingsTabs;

#[component]
pub fn WebhookPage() -> impl IntoView {
    let id = crate::ui::components::url::uuid_param("id");
    let url_query = leptos_router::hooks::use_query_map();
    let query = Memo::new(move |_| {
        let read = url_query.read();
        let text = |key: &str| read.get(key).filter(|v| !v.trim().is_empty());
        AttemptQuery {
            outcome: text("outcome"),
            event_type: text("type"),
            page: text("page").and_then(|p| p.parse().ok()),
        }
    });
    let test = ServerAction::<SendWebhookTest>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let requeue = ServerAction::<RequeueWebhook>::new();
    let replay = ServerAction::<ReplayWebhook>::new();
    let toggle = ServerAction::<SetWebhookEnabled>::new();
    let data = Resource::new(
        move || {
            (
                id.get(),
                query.get(),
                test.version().get(),
                rotate.version().get(),
                requeue.version().get(),
                replay.version().get(),
                toggle.version().get(),
            )
        },
        |(id, query, ..)| async move {
            match id {
                Some(id) => load_webhook(id, query).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let failed = Memo::new(move |_| {
        action_error(test)
            .get()
            .or(action_error(rotate).get())
            .or(action_error(requeue).get())
            .or(action_error(replay).get())
            .or(action_error(toggle).get())
    });
    view! {
        <PageHeader title="Settings" description="Your account, notifications, roles, API tokens and webhook endpoints."/>
        <SettingsTabs current="/settings/webhooks"/>
        <p><a href="/settings/webhooks">"← All webhook endpoints"</a></p>
        {move || failed.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the endpoint…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(mut page) => {
                        let rotated = rotate.value().get_untracked().and_then(|r| r.ok());
                        page.new_secret = page.new_secret.or(rotated.map(|r| r.secret));
                        view! { <Endpoint page query=query.get_untracked() test rotate requeue replay toggle/> }.into_any()
                    }
                    Err(AppError::NotFound) => view! {
                        <Alert tone="danger">"No such webhook endpoint, or not one you may see."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Endpoint(
    page: PageData,
    query: AttemptQuery,
    test: ServerAction<SendWebhookTest>,
    rotate: ServerAction<RotateWebhookSecret>,
    requeue: ServerAction<RequeueWebhook>,
    replay: ServerAction<ReplayWebhook>,
    toggle: ServerAction<SetWebhookEnabled>,
) -> impl IntoView {
    let endpoint = page.detail.endpoint.clone();
    let (status, tone, glyph) = endpoint_status(&endpoint);
    let id = endpoint.id.to_string();
    let (id_test, id_rotate, id_requeue, id_toggle) =
        (id.clone(), id.clone(), id.clone(), id.clone());
    let id_replay = id;
    let attempts = page.detail.attempts.clone();
    let (total, current_page, per_page) =
        (page.detail.total, page.detail.page, page.detail.per_page);
    let base = format!("/settings/webhooks/{}", endpoint.id);
    let base_for_pages = base.clone();
    let filtered = query.outcome.is_some() || query.event_type.is_some();
    let (outcome, event_type) = (query.outcome.clone(), query.event_type.clone());
    let delivered = attempts
        .iter()
        .filter(|a| a.status_code.is_some_and(|s| (200..300).contains(&s)))
        .count();
    let rate = (!attempts.is_empty()).then(|| delivered * 100 / attempts.len());
    let types = if endpoint.event_types.is_empty() {
        "every type".to_owned()
    } else {
        endpoint.event_types.join(", ")
    };
    view! {
        {page.new_secret.map(|secret| view! {
            <SecretOnce heading="Copy the new signing secret now — it will not be shown again. The old one keeps signing for 24 hours." value=secret testid="new-webhook-secret"/>
        })}
        <section class="card" data-testid="webhook-endpoint">
            <h2><code>{endpoint.url.clone()}</code></h2>
            {(!endpoint.description.is_empty()).then(|| view! { <p class="muted">{endpoint.description.clone()}</p> })}
            <p>
                <span class=format!("badge tone-{tone}") data-testid="webhook-status"><span class="badge-glyph" aria-hidden="true">{glyph}</span>{status}</span>
                " Hears " {if endpoint.tenant_id.is_some() { "one tenant's events" } else { "every tenant's events" }} ", " {types} "."
            </p>
            {endpoint.disabled_reason.clone().map(|r| view! { <Alert tone="attention">{r}</Alert> })}
            {endpoint.failing_since.map(|at| view! { <p class="muted">"Deliveries have failed since " {utc(&at)} "; after five days of failures the endpoint is disabled."</p> })}
            <p class="muted">{endpoint.pending} " waiting · " {endpoint.dead} " in the dead letters"
                {rate.map(|r| format!(" · {r} % of the last {} attempts delivered", attempts.len()))}</p>
            {(!attempts.is_empty()).then(|| view! { <AttemptStrip attempts=attempts.clone()/> })}
            <div class="actions">
                <ActionForm action=test attr:class="inline-form">
                    <input type="hidden" name="id" value=id_test/>
                    <button type="submit" class="btn btn-secondary" data-action="send-test">"Send test event"</button>
                </ActionForm>
                <ActionForm action=rotate attr:class="inline-form">
                    <input type="hidden" name="id" value=id_rotate/>
                    <button type="submit" class="btn btn-secondary" data-action="rotate-secret">"Rotate secret"</button>
                </ActionForm>
                {(endpoint.dead > 0).then(|| view! {
                    <ActionForm action=requeue attr:class="inline-form">
                        <input type="hidden" name="id" value=id_requeue/>
                        <button type="submit" class="btn btn-secondary" data-action="requeue">"Send the dead letters again"</button>
                    </ActionForm>
                })}
                <ActionForm action=toggle attr:class="inline-form">
                    <input type="hidden" name="id" value=id_toggle/>
                    <input type="hidden" name="enabled" value=if endpoint.enabled { "false" } else { "true" }/>
                    <button type="submit" class=if endpoint.enabled { "btn btn-danger" } else { "btn btn-primary" } data-action="toggle">
                        {if endpoint.enabled { "Turn off" } else { "Turn on" }}
                    </button>
                </ActionForm>
            </div>
            <ActionForm action=replay attr:class="inline-field" attr:data-testid="webhook-replay">
                <input type="hidden" name="id" value=id_replay/>
                <label for="replay-from">"Send again every event from sequence"</label>
                <input id="replay-from" name="from_sequence" type="number" min="1" required inputmode="numeric" placeholder="e.g. 120"/>
                <button type="submit" class="btn btn-secondary" data-action="replay">"Replay"</button>
                <span class="field-help">"For a receiver that lost data: each event keeps its webhook-id."</span>
            </ActionForm>
            {move || replay.value().get().and_then(|r| r.ok()).map(|n| view! {
                <p class="muted" role="status" data-testid="webhook-replayed">{format!("{n} events queued again, in order.")}</p>
            })}
        </section>
        <section class="card table-card">
            <h2>"Delivery log"</h2>
            <form class="filter-bar filter-bar-compact no-print" method="get" action=base.clone() role="search" aria-label="Filter the delivery log">
                <FilterSelect name="outcome" label="Outcome" options=vec![("delivered".to_owned(), "Delivered (2xx)".to_owned()), ("failed".to_owned(), "Failed".to_owned())] selected=query.outcome.clone()/>
                <div class="field">
                    <label for="filter-type">"Event type"</label>
                    <input id="filter-type" name="type" type="text" placeholder="change.* or tenant.created" value=query.event_type.clone().unwrap_or_default()/>
                </div>
                <button type="submit" class="btn btn-sm">"Filter"</button>
                {filtered.then(|| view! { <a class="btn btn-sm btn-secondary" href=base.clone()>"Clear all filters"</a> })}
            </form>
            {if attempts.is_empty() && filtered {
                view! { <p class="empty-state" data-testid="webhook-log-empty">"No attempt matches these filters."</p> }.into_any()
            } else if attempts.is_empty() {
                view! { <p class="empty-state" data-testid="webhook-log-empty">"No delivery yet. Send a test event to see one."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table table-compact" data-testid="webhook-log">
                            <caption class="visually-hidden">"Delivery attempts, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"When"</th><th scope="col" class="num">"Sequence"</th><th scope="col">"Event"</th>
                                <th scope="col">"Answer"</th><th scope="col" class="num">"Latency"</th><th scope="col">"Response"</th><th scope="col">"Next try"</th>
                            </tr></thead>
                            <tbody>
                                {attempts.into_iter().map(|a| view! { <AttemptLine attempt=a/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <Pager total=total page=current_page per_page=per_page href=move |p| {
                href_with_query(&base_for_pages, &[("outcome", outcome.clone()), ("type", event_type.clone()), ("page", Some(p.to_string()))])
            }/>
        </section>
    }
}

#[component]
fn AttemptLine(attempt: AttemptRow) -> impl IntoView {
    let ok = attempt.status_code.is_some_and(|s| (200..300).contains(&s));
    let answer = attempt
        .status_code
        .map_or_else(|| "No answer".to_owned(), |s| format!("HTTP {s}"));
    let said = attempt
        .error
        .clone()
        .unwrap_or_else(|| attempt.response_excerpt.clone());
    view! {
        <tr data-status=attempt.status_code.map(|s| s.to_string()).unwrap_or_default()>
            <td class="nowrap">{utc(&attempt.at)}</td>
            <td class="num">{attempt.sequence}</td>
            <td class="nowrap"><code>{attempt.event_type.clone()}</code></td>
            <td><span class=if ok { "badge tone-success" } else { "badge tone-danger" }>{answer}</span></td>
            <td class="num">{attempt.latency_ms} " ms"</td>
            <td class="excerpt"><code>{said}</code></td>
            <td class="nowrap">{attempt.next_attempt_at.map(|at| utc(&at)).unwrap_or_else(|| "—".into())}</td>
        </tr>
    }
}

/// The latest attempts as a strip of marks, oldest left: green delivered,
/// red not — where people would rather look than read.
#[component]
fn AttemptStrip(attempts: Vec<AttemptRow>) -> impl IntoView {
    // One mark per attempt, never wider than a finger's breadth.
    let width = (600.0 / attempts.len().max(1) as f64).min(24.0);
    view! {
        <svg class="chart chart-strip" viewBox="0 0 600 24" role="img" aria-label="Latest delivery attempts, oldest first: green delivered, red failed">
            {attempts.iter().rev().enumerate().map(|(i, a)| {
                let ok = a.status_code.is_some_and(|s| (200..300).contains(&s));
                let title = format!("{}: {}", utc(&a.at), a.status_code.map_or("no answer".to_owned(), |s| format!("HTTP {s}")));
                view! {
                    <g class=if ok { "tone-success" } else { "tone-danger" }>
                        <rect class="chart-bar" x=i as f64 * width + 1.0 y="2" width=(width - 2.0).max(1.0) height="20" rx="2"><title>{title}</title></rect>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}
