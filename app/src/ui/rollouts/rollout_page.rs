//! One rollout: status and why it halted, each wave's progress, the settings,
//! the actions allowed now (abort after a confirmation), and its targets page
//! by page. While it runs, the hydrated page refetches every two seconds.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::rollouts::{RolloutAction, RolloutDetail, TargetRow, WaveRow, rollout};
use crate::domain::rollouts::rollout::{RolloutAction as Operation, RolloutScope, RolloutStatus};
use crate::error::AppError;
use crate::ui::components::badge::{WorkBadge, WorkKind};
use crate::ui::components::form::action_error;
use crate::ui::components::page::Alert;
use crate::ui::components::pager::Pager;
use crate::ui::components::progress::{StackedProgress, TargetCounts};
use crate::ui::components::refresh::refresh_while;
use crate::ui::components::time::{utc, utc_or_dash};
use crate::ui::components::url::href_with_query;
use crate::ui::layout::NotFound;
use crate::ui::rollouts::rollouts_page::rate;
use crate::ui::rollouts::rollouts_page::target_counts;
use crate::ui::rollouts::rollouts_page::target_unit;

fn is_live(status: RolloutStatus) -> bool {
    matches!(status, RolloutStatus::Running | RolloutStatus::Scheduled)
}

#[component]
pub fn RolloutPage() -> impl IntoView {
    let query = use_query_map();
    let id = crate::ui::components::url::uuid_param("id");
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u64>().ok()));
    let confirming = Memo::new(move |_| query.read().get("confirm"));
    let act = ServerAction::<RolloutAction>::new();
    let detail = Resource::new(
        move || (id.get(), page.get(), act.version().get()),
        |(id, page, _)| async move {
            match id {
                Some(id) => rollout(id, page).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    refresh_while(
        detail,
        |d| is_live(d.rollout.status),
        move |event: &crate::ui::components::live::LiveEvent| {
            id.get_untracked()
                .is_some_and(|id| event.is_about(&id.to_string()))
        },
    );
    let error = action_error(act);
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the rollout…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <RolloutView detail act error confirming/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

fn action_label(action: Operation) -> &'static str {
    match action {
        Operation::RetryFailed => "Retry failed targets",
        other => other.label(),
    }
}

#[component]
fn RolloutView(
    detail: RolloutDetail,
    act: ServerAction<RolloutAction>,
    error: Memo<Option<AppError>>,
    /// `?confirm=abort` asks before aborting.
    confirming: Memo<Option<String>>,
) -> impl IntoView {
    let r = detail.rollout.clone();
    let id = r.id;
    let self_href = format!("/rollouts/{id}");
    let live = is_live(r.status);
    let finished = matches!(
        r.status,
        RolloutStatus::Succeeded | RolloutStatus::Stopped | RolloutStatus::Aborted
    );
    let halt_tone = if r.status == RolloutStatus::Paused {
        "attention"
    } else {
        "danger"
    };
    let halt_title = format!("{}: ", r.status.label());
    let can_abort = detail.actions.contains(&Operation::Abort);
    let page_href = self_href.clone();
    view! {
        <leptos_meta::Title text=r.name.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/rollouts">"Rollouts"</a>" / " {r.name.clone()}</nav>
        <header class="object-header">
            <h1>{r.name.clone()}</h1>
            <p class="object-meta">
                <span data-testid="rollout-status"><WorkBadge kind=WorkKind::Rollout status=r.status.as_str()/></span>
                <span class="chip">{format!("{} → {} on {}", r.product_key, r.target_version, target_unit(&r))}</span>
                <span class="chip" data-testid="rollout-wave">{format!("Wave {} of {}", r.current_wave, r.waves)}</span>
                <StackedProgress counts=target_counts(&r) label="All targets"/>
            </p>
        </header>
        {(!finished).then(|| view! {
            <p class="muted refresh-line" aria-live="polite">
                {if live { "Updates every 2 seconds while the rollout runs. " } else { "" }}
                <a href=self_href.clone()>"Refresh"</a>
            </p>
        })}
        {r.halt_reason.clone().map(|reason| view! {
            <Alert tone=halt_tone>
                <strong>{halt_title}</strong>
                <span data-testid="halt-reason">{reason}</span>
            </Alert>
        })}
        {move || error.get().map(|e| view! { <Alert tone="danger"><span data-testid="action-error">{e.to_string()}</span></Alert> })}
        {
            let (name, href, actions) = (r.name.clone(), self_href.clone(), detail.actions.clone());
            move || if can_abort && confirming.get().as_deref() == Some("abort") {
                view! { <AbortConfirmation act id name=name.clone() back=href.clone()/> }.into_any()
            } else {
                view! { <Actions act id actions=actions.clone() self_href=href.clone()/> }.into_any()
            }
        }
        <section class="card" aria-labelledby="waves-heading">
            <h2 id="waves-heading">"Waves"</h2>
            <ol class="waves" data-testid="waves">
                {detail.waves.iter().cloned().map(|wave| {
                    let state = if wave.number < r.current_wave || r.status == RolloutStatus::Succeeded {
                        "done"
                    } else if wave.number == r.current_wave
                        && !matches!(r.status, RolloutStatus::PendingApproval | RolloutStatus::Scheduled)
                    {
                        "current"
                    } else {
                        "pending"
                    };
                    view! { <WaveItem wave state unit=target_unit(&r) error_threshold=detail.error_threshold/> }
                }).collect_view()}
            </ol>
        </section>
        <section class="card" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <dl class="facts">
                <dt>"Targets"</dt><dd>{detail.selection.clone()}</dd>
                <dt>"Waves"</dt><dd>{format!("{} (cumulative %)", detail.wave_splits.replace(',', ", "))}</dd>
                <dt>"Success threshold"</dt><dd>{format!("{} % of a wave must succeed", detail.success_threshold)}</dd>
                <dt>"Error threshold"</dt><dd>{format!("more than {} % failed halts it: {}", detail.error_threshold, if detail.on_error == "stop" { "stop" } else { "pause" })}</dd>
                <dt>"Concurrency"</dt><dd>{format!("{} targets at once", detail.concurrency)}</dd>
                <dt>"Success rate"</dt><dd data-testid="success-rate">{rate(r.success_rate)}</dd>
                <dt>"Rollback rate"</dt><dd>{rate(r.rollback_rate)}</dd>
                <dt>"Created"</dt><dd>{utc(&r.created_at)} " by " {r.creator.clone()}</dd>
                <dt>"Start"</dt><dd>{r.start_at.map_or_else(|| "at once".to_owned(), |at| utc(&at))}</dd>
                <dt>"Started"</dt><dd>{utc_or_dash(r.started_at.as_ref())}</dd>
                <dt>"Finished"</dt><dd>{utc_or_dash(r.finished_at.as_ref())}</dd>
            </dl>
            <p><a href=href_with_query("/changes", &[("rollout", Some(id.to_string()))])>"Change requests of this rollout"</a></p>
        </section>
        <section class="card table-card" aria-labelledby="targets-heading">
            <h2 id="targets-heading">{format!("Targets ({})", r.targets)}</h2>
            <TargetTable targets=detail.targets.clone() endpoints=r.scope == RolloutScope::Endpoints/>
            <Pager total=r.targets page=detail.targets_page per_page=detail.targets_per_page href=move |p| href_with_query(&page_href, &[("page", Some(p.to_string()))])/>
        </section>
    }
    .into_any()
}

/// The allowed actions as buttons; abort opens its confirmation first.
#[component]
fn Actions(
    act: ServerAction<RolloutAction>,
    id: Uuid,
    actions: Vec<Operation>,
    self_href: String,
) -> impl IntoView {
    if actions.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card no-print" aria-labelledby="rollout-actions-heading">
            <h2 id="rollout-actions-heading">"Actions"</h2>
            <div class="action-row" data-testid="rollout-actions">
                {actions.into_iter().map(|action| {
                    if action == Operation::Abort {
                        view! { <a class="btn btn-danger" href=format!("{self_href}?confirm=abort") data-action="abort">"Abort…"</a> }.into_any()
                    } else {
                        let class = if matches!(action, Operation::Approve | Operation::Resume) { "btn btn-primary" } else { "btn btn-secondary" };
                        view! {
                            <ActionForm action=act attr:class="inline-form">
                                <input type="hidden" name="id" value=id.to_string()/>
                                <button type="submit" name="action" value=action.as_str() class=class data-action=action.as_str()>{action_label(action)}</button>
                            </ActionForm>
                        }.into_any()
                    }
                }).collect_view()}
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn AbortConfirmation(
    act: ServerAction<RolloutAction>,
    id: Uuid,
    name: String,
    back: String,
) -> impl IntoView {
    view! {
        <section class="card confirm-card no-print" role="alertdialog" aria-labelledby="abort-heading" aria-describedby="abort-consequence">
            <h2 id="abort-heading">{format!("Abort rollout {name}?")}</h2>
            <p id="abort-consequence">"Targets that have not started are skipped and never will be; running ones finish their change. An aborted rollout cannot be resumed."</p>
            <div class="action-row">
                <ActionForm action=act attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" name="action" value="abort" class="btn btn-danger" data-action="confirm-abort">{format!("Abort {name}")}</button>
                </ActionForm>
                <a class="btn btn-secondary" href=back>"Keep it going"</a>
            </div>
        </section>
    }
}

#[component]
fn WaveItem(
    wave: WaveRow,
    state: &'static str,
    unit: &'static str,
    error_threshold: i32,
) -> impl IntoView {
    let counts = TargetCounts {
        total: u64::from(wave.total),
        succeeded: u64::from(wave.succeeded),
        failed: u64::from(wave.failed),
        running: u64::from(wave.running),
        unit,
    };
    let (glyph, word) = match state {
        "done" => ("✓", "done"),
        "current" => ("▸", "current"),
        _ => ("○", "pending"),
    };
    view! {
        <li class=format!("wave wave-{state}") data-wave=wave.number data-state=state>
            <span class="wave-label">
                <span class="wave-glyph" aria-hidden="true">{glyph}</span>
                {format!("Wave {}", wave.number)}
                <span class="visually-hidden">{format!(", {word}")}</span>
            </span>
            <StackedProgress counts label=format!("Wave {}", wave.number) threshold=error_threshold/>
            <span class="muted wave-pending">{format!("{} pending", wave.pending)}</span>
        </li>
    }
}

#[component]
fn TargetTable(targets: Vec<TargetRow>, endpoints: bool) -> impl IntoView {
    if targets.is_empty() {
        return view! { <p class="muted">"No targets on this page."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="targets-table">
                <thead><tr>
                    <th scope="col">"Tenant"</th>
                    {endpoints.then(|| view! { <th scope="col">"Endpoint"</th> })}
                    <th scope="col" class="num">"Wave"</th><th scope="col">"Status"</th><th scope="col" class="num">"Attempts"</th>
                    <th scope="col">"From"</th><th scope="col">"Change"</th><th scope="col">"Last error"</th><th scope="col">"Finished"</th>
                </tr></thead>
                <tbody>
                    {targets.into_iter().map(|t| view! {
                        <tr data-tenant=t.tenant_slug.clone()>
                            <td><a href=format!("/tenants/{}", t.tenant_slug)>{t.tenant_slug.clone()}</a></td>
                            {endpoints.then(|| view! { <td><code>{t.endpoint.clone().unwrap_or_default()}</code></td> })}
                            <td class="num">{t.wave}</td>
                            <td>
                                <WorkBadge kind=WorkKind::Target status=t.status.as_str()/>
                                {t.message.clone().map(|m| view! { <br/><span class="muted cell-note">{m}</span> })}
                            </td>
                            <td class="num">{t.attempts}</td>
                            <td>{t.from_version.clone().map_or_else(|| view! { <span class="muted">"—"</span> }.into_any(), |v| view! { <code>{v}</code> }.into_any())}</td>
                            <td>{t.change_request_id.map(|c| view! { <a href=format!("/changes/{c}")>"View change"</a> })}</td>
                            <td class="error-text">{t.last_error.clone().unwrap_or_default()}</td>
                            <td class="nowrap">{utc_or_dash(t.finished_at.as_ref())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
