//! One change request: status and progress, the facts, the step log, the
//! decisions, and what the viewer may do now (decide, cancel, delay). While
//! it runs, the hydrated page refetches every two seconds.

use chrono::{Duration, Utc};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::changes::{
    CancelChange, ChangeDetail, ChangeDetailPage, ChangeMay, DecideChange, DecideDelayRequest,
    DecisionRow, DelayChange, StepRow, SubmitChange, change_request,
};
use crate::domain::changes::change::ChangeStatus;
use crate::domain::changes::decision::ChangeDecision;
use crate::error::AppError;
use crate::ui::changes::decide_form::DecideForm;
use crate::ui::changes::delay_requests::DelayRequestList;
use crate::ui::components::badge::{WorkBadge, WorkKind};
use crate::ui::components::form::{action_error, field_message};
use crate::ui::components::page::Alert;
use crate::ui::components::progress::ProgressBar;
use crate::ui::components::refresh::refresh_while;
use crate::ui::components::time::{utc, utc_or_dash};
use crate::ui::layout::{NotFound, refresh_approval_count};

/// Whether a change is moving now.
fn is_moving(status: ChangeStatus) -> bool {
    matches!(status, ChangeStatus::Running | ChangeStatus::Approved)
}

/// Whether a change may move soon, so the hydrated page keeps itself current
/// (a scheduled change from a minute before its start).
fn is_live(detail: &ChangeDetail) -> bool {
    let change = &detail.change;
    is_moving(change.status)
        || (change.status == ChangeStatus::Scheduled
            && change
                .next_start_at
                .is_some_and(|at| at <= Utc::now() + Duration::minutes(1)))
}

#[component]
pub fn ChangePage() -> impl IntoView {
    let id = crate::ui::components::url::uuid_param("id");
    let decide = ServerAction::<DecideChange>::new();
    let cancel = ServerAction::<CancelChange>::new();
    let delay = ServerAction::<DelayChange>::new();
    let decide_delay = ServerAction::<DecideDelayRequest>::new();
    let submit = ServerAction::<SubmitChange>::new();
    let detail = Resource::new(
        move || {
            (
                id.get(),
                decide.version().get(),
                cancel.version().get(),
                delay.version().get(),
                decide_delay.version().get(),
                submit.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => change_request(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    refresh_while(
        detail,
        |page| is_live(&page.view),
        move |event: &crate::ui::components::live::LiveEvent| {
            id.get_untracked()
                .is_some_and(|id| event.is_about(&id.to_string()))
        },
    );
    Effect::new(move |_| {
        let decided = decide.value().get().is_some_and(|r| r.is_ok());
        let delay_decided = decide_delay.value().get().is_some_and(|r| r.is_ok());
        if decided || delay_decided {
            refresh_approval_count();
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the change…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <ChangeView detail decide cancel delay decide_delay submit/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn ChangeView(
    detail: ChangeDetailPage,
    decide: ServerAction<DecideChange>,
    cancel: ServerAction<CancelChange>,
    delay: ServerAction<DelayChange>,
    decide_delay: ServerAction<DecideDelayRequest>,
    submit: ServerAction<SubmitChange>,
) -> impl IntoView {
    let moving = is_moving(detail.change.status);
    let terminal = detail.change.status.is_terminal();
    let ChangeMay {
        decide: can_decide,
        decide_refusal,
        cancel: can_cancel,
        delay: can_delay,
        submit: can_submit,
        decide_delays,
    } = detail.may;
    let ChangeDetail {
        change,
        steps,
        decisions,
        delay_requests,
    } = detail.view;
    let id = change.id;
    let model = change.change_model;
    let self_href = format!("/changes/{id}");
    let decide_error = action_error(decide);
    let cancel_error = action_error(cancel);
    let submit_error = action_error(submit);
    view! {
        <leptos_meta::Title text=change.title.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/changes">"Changes"</a>" / " {change.title.clone()}</nav>
        <header class="object-header">
            <h1>{change.title.clone()}</h1>
            <p class="object-meta">
                <span data-testid="change-status"><WorkBadge kind=WorkKind::Change status=change.status.as_str()/></span>
                {(change.status == ChangeStatus::Running).then(|| view! { <ProgressBar percent=change.progress label="Change progress"/> })}
                <span class="chip">{change.kind.label()}</span>
                {change.target_version.clone().map(|v| view! { <span class="chip">{format!("{} {v}", change.product_key.clone().unwrap_or_default())}</span> })}
            </p>
        </header>
        {(!terminal).then(|| view! {
            <p class="muted refresh-line" aria-live="polite">
                {if moving { "Updates every 2 seconds while the change runs. " } else { "" }}
                <a href=self_href>"Refresh"</a>
            </p>
        })}
        {move || cancel_error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        {move || submit_error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        {(change.status == ChangeStatus::Draft).then(|| view! {
            <Alert tone="info">"A draft: nobody is asked to approve it and nothing is scheduled until it is submitted."</Alert>
        })}
        {(can_decide || decide_refusal.is_some() || can_cancel || can_delay || can_submit).then(|| view! {
            <section class="card no-print" aria-labelledby="actions-heading">
                <h2 id="actions-heading">"Actions"</h2>
                {if can_decide {
                    view! { <DecideForm action=decide id error=decide_error/> }.into_any()
                } else {
                    decide_refusal.clone().map(|reason| view! {
                        <p class="action-reason" data-testid="decide-refusal"><span aria-hidden="true">"⊘ "</span>{reason}</p>
                    }).into_any()
                }}
                <div class="action-row">
                    {can_submit.then(|| view! {
                        <ActionForm action=submit attr:class="inline-form">
                            <input type="hidden" name="id" value=id.to_string()/>
                            <button type="submit" class="btn btn-primary" data-action="submit">"Submit change"</button>
                        </ActionForm>
                    })}
                    {can_delay.then(|| view! { <DelayForm action=delay id/> })}
                    {can_cancel.then(|| view! {
                        <ActionForm action=cancel attr:class="inline-form">
                            <input type="hidden" name="id" value=id.to_string()/>
                            <button type="submit" class="btn btn-secondary" data-action="cancel">"Cancel change"</button>
                        </ActionForm>
                    })}
                </div>
            </section>
        })}
        <section class="card" aria-labelledby="facts-heading">
            <h2 id="facts-heading">"Details"</h2>
            <dl class="facts">
                <dt>"Tenant"</dt><dd><a href=format!("/tenants/{}", change.tenant_slug)>{change.tenant_name.clone()}</a> " " <code>{change.tenant_slug.clone()}</code></dd>
                <dt>"Kind"</dt><dd>{change.kind.label()}</dd>
                <dt>"Change model"</dt><dd>{format!("{} — {}", model.label(), model.description().to_lowercase())}</dd>
                <dt>"Requested by"</dt><dd>{change.requester.clone()} " · " {utc(&change.created_at)}</dd>
                <dt>"Approval"</dt><dd>{if change.requires_approval { "Needed by the tenant's update policy" } else { "Not needed" }}</dd>
                <dt>"Next start"</dt><dd data-testid="change-next-start">{utc_or_dash(change.next_start_at.as_ref())}
                    {(!change.schedule_reason.is_empty()).then(|| view! { " — " {change.schedule_reason.clone()} })}
                </dd>
                {(change.delayed_days > 0).then(|| view! { <dt>"Delayed"</dt><dd>{format!("{} days in total", change.delayed_days)}</dd> })}
                {change.rollout_id.map(|r| view! { <dt>"Rollout"</dt><dd><a href=format!("/rollouts/{r}")>"Part of a rollout"</a></dd> })}
                {change.target_filter_id.map(|f| view! {
                    <dt>"Requested for"</dt>
                    <dd data-testid="change-filter">"The saved filter " <a href=format!("/changes?filter={f}")>{change.target_filter_name.clone().unwrap_or_default()}</a></dd>
                })}
                {change.correlation_id.clone().map(|id| view! {
                    <dt>"Correlation id"</dt>
                    <dd data-testid="change-correlation"><code>{id.clone()}</code> " · " <a href=format!("/audit?request={}", crate::ui::components::url::encode_query_value(&id))>"its audit trail"</a></dd>
                })}
                <dt>"Outcome"</dt><dd data-testid="change-outcome">{change.outcome.clone().unwrap_or_else(|| "—".into())}
                    {change.finished_at.map(|at| view! { " · " {utc(&at)} })}
                </dd>
            </dl>
        </section>
        {(!delay_requests.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="delay-requests-heading">
                <h2 id="delay-requests-heading">"Delay requests"</h2>
                <p class="muted">"Delays beyond the tenant's policy limit, decided by the vendor's approvers."</p>
                <DelayRequestList rows=delay_requests decidable=decide_delays action=decide_delay show_change=false/>
            </section>
        }.into_any())}
        <StepLog steps/>
        <Decisions decisions/>
    }
    .into_any()
}

#[component]
fn DelayForm(action: ServerAction<DelayChange>, id: Uuid) -> impl IntoView {
    let error = action_error(action);
    let days_error = field_message(error, "days");
    let reason_error = field_message(error, "reason");
    let other_error = move || {
        error
            .get()
            .filter(|e| e.field_errors().is_empty())
            .map(|e| e.to_string())
    };
    let outcome = move || action.value().get().and_then(|r| r.ok());
    view! {
        <ActionForm action attr:class="inline-fields" attr:novalidate=true>
            <input type="hidden" name="id" value=id.to_string()/>
            <div class="field" class:field-invalid=move || days_error.get().is_some()>
                <label for="field-days">"Delay by (days)"</label>
                {move || days_error.get().map(|m| view! { <p class="field-error" id="err-days"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <input id="field-days" name="days" type="number" min="1" max="90" value="1" class="input-narrow"
                    aria-invalid=move || days_error.get().is_some().then_some("true")
                    aria-describedby=move || days_error.get().is_some().then_some("err-days")/>
            </div>
            <div class="field" class:field-invalid=move || reason_error.get().is_some()>
                <label for="field-delay-reason">"Reason" <span class="muted">" (needed beyond the policy's limit)"</span></label>
                {move || reason_error.get().map(|m| view! { <p class="field-error" id="err-delay-reason"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <input id="field-delay-reason" name="reason" type="text" maxlength="500"
                    aria-invalid=move || reason_error.get().is_some().then_some("true")
                    aria-describedby=move || reason_error.get().is_some().then_some("err-delay-reason")/>
            </div>
            <button type="submit" class="btn btn-secondary" data-action="delay">"Delay"</button>
            {move || other_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            {move || outcome().map(|o| view! { <p class="action-reason" role="status" data-testid="delay-outcome">{o.message}</p> })}
        </ActionForm>
    }    .into_any()
}

/// The executor's steps in order, each with its status, attempts and output.
#[component]
fn StepLog(steps: Vec<StepRow>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="steps-heading">
            <h2 id="steps-heading">"Steps"</h2>
            {if steps.is_empty() {
                view! { <p class="muted">"No steps planned."</p> }.into_any()
            } else {
                view! {
                    <ol class="step-log" data-testid="step-log">
                        {steps.into_iter().map(|step| {
                            let timing = match (step.started_at, step.finished_at) {
                                (Some(start), Some(end)) => format!("{} · {:.1} s", utc(&start), (end - start).num_milliseconds() as f64 / 1000.0),
                                (Some(start), None) => format!("started {}", utc(&start)),
                                _ => String::new(),
                            };
                            view! {
                                <li class="step-log-item" data-status=step.status.as_str() data-phase=if step.rollback { "rollback" } else { "apply" }>
                                    <div class="step-log-head">
                                        <span class="step-log-number" aria-hidden="true">{step.position}</span>
                                        {step.rollback.then(|| view! { <span class="chip" title="Undoes the failed update">"Rollback"</span> })}
                                        <strong>{step.name.clone()}</strong>
                                        <WorkBadge kind=WorkKind::Target status=step.status.as_str()/>
                                        <span class="muted">{format!("{} attempt{}", step.attempts, if step.attempts == 1 { "" } else { "s" })}</span>
                                        <span class="muted">{timing}</span>
                                    </div>
                                    {(!step.output.is_empty()).then(|| view! { <pre class="step-output">{step.output.clone()}</pre> })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Decisions(decisions: Vec<DecisionRow>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="decisions-heading">
            <h2 id="decisions-heading">"Decisions"</h2>
            {if decisions.is_empty() {
                view! { <p class="muted">"No decision recorded."</p> }.into_any()
            } else {
                view! {
                    <ul class="decision-list" data-testid="decisions">
                        {decisions.into_iter().map(|d| {
                            let (tone, glyph) = if d.decision == ChangeDecision::Approved { ("tone-success", "✓") } else { ("tone-danger", "✕") };
                            view! {
                                <li>
                                    <span class=format!("badge {tone}")><span class="badge-glyph" aria-hidden="true">{glyph}</span>{d.decision.label()}</span>
                                    " " <strong>{d.decider.clone()}</strong> " · " <span class="muted">{utc(&d.decided_at)}</span>
                                    {(!d.comment.is_empty()).then(|| view! { <p class="decision-comment">{d.comment.clone()}</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
