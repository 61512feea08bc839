//! One edge deployment's control panel: both slots with versions and health,
//! the current split, the switch with its steps, reason and actions (abort
//! and rollback after a confirmation), live charts of both slots' error rate
//! and latency, the timeline of steps and decisions, health-check runs, the
//! switch settings and earlier switches. While a switch runs, the hydrated
//! page refetches every two seconds; before hydration it offers Refresh.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::deployments::{
    DeploymentPage, EventRow, HealthRunRow, SampleRow, SaveHealthBaseline, SaveSimulation,
    SaveSwitchSettings, SlotView, StartSwitch, SwitchAction, SwitchSummary, deployment,
};
use crate::domain::deployments::bluegreen::{Slot, SwitchStatus};
use crate::error::AppError;
use crate::ui::components::badge::{WorkBadge, WorkKind};
use crate::ui::components::chart::{Series, SeriesChart};
use crate::ui::components::form::{
    FieldGroup, FormErrors, SelectField, TextAreaField, TextField, action_error, field_message,
    form_field, success_count,
};
use crate::ui::components::page::Alert;
use crate::ui::components::refresh::refresh_while_sampling;
use crate::ui::components::time::{utc, utc_or_dash};
use crate::ui::deployments::{SplitBar, switch_step_text};
use crate::ui::layout::NotFound;

fn is_active(status: SwitchStatus) -> bool {
    status.is_active()
}

#[component]
pub fn DeploymentPage() -> impl IntoView {
    let query = use_query_map();
    let id = crate::ui::components::url::uuid_param("id");
    let confirming = Memo::new(move |_| query.read().get("confirm"));
    let act = ServerAction::<SwitchAction>::new();
    let start = ServerAction::<StartSwitch>::new();
    let settings = ServerAction::<SaveSwitchSettings>::new();
    let simulation = ServerAction::<SaveSimulation>::new();
    let baseline = ServerAction::<SaveHealthBaseline>::new();
    let detail = Resource::new(
        move || {
            (
                id.get(),
                act.version().get(),
                start.version().get(),
                settings.version().get(),
                simulation.version().get(),
                baseline.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => deployment(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // Traffic samples are measurements, not events: the chart keeps sampling.
    refresh_while_sampling(
        detail,
        |d| d.switch.as_ref().is_some_and(|s| is_active(s.status)),
        move |event: &crate::ui::components::live::LiveEvent| {
            id.get_untracked()
                .is_some_and(|id| event.is_about(&id.to_string()))
        },
    );
    let forms = Forms {
        act,
        start,
        settings,
        simulation,
        baseline,
    };
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the deployment…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <DeploymentView detail forms confirming/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[derive(Clone, Copy)]
struct Forms {
    act: ServerAction<SwitchAction>,
    start: ServerAction<StartSwitch>,
    settings: ServerAction<SaveSwitchSettings>,
    simulation: ServerAction<SaveSimulation>,
    baseline: ServerAction<SaveHealthBaseline>,
}

#[component]
fn DeploymentView(
    detail: DeploymentPage,
    forms: Forms,
    /// `?confirm=rollback` or `?confirm=abort` asks first.
    confirming: Memo<Option<String>>,
) -> impl IntoView {
    let d = detail.deployment.clone();
    let id = d.id;
    let self_href = format!("/deployments/{id}");
    let title = format!("{} · {}", d.tenant_name, d.product_name);
    let active = detail.switch.as_ref().is_some_and(|s| is_active(s.status));
    let act_error = action_error(forms.act);
    view! {
        <leptos_meta::Title text=title.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/deployments">"Edge deployments"</a>" / " {title.clone()}</nav>
        <header class="object-header">
            <h1>{title.clone()}</h1>
            <p class="object-meta">
                <span class=format!("slot-chip slot-{}", d.live_slot.as_str()) data-testid="live-slot">{format!("{} live", d.live_slot.label())}</span>
                {d.live_version.clone().map(|v| view! { <code data-testid="live-version">{v}</code> })}
                <a class="chip" href=format!("/tenants/{}", d.tenant_slug)>{d.tenant_slug.clone()}</a>
                <span class="chip">{format!("Router: {}", d.router.label())}</span>
            </p>
        </header>
        {active.then(|| view! {
            <p class="muted refresh-line" aria-live="polite">"Updates every 2 seconds while the switch runs. " <a href=self_href.clone()>"Refresh"</a></p>
        })}
        {move || act_error.get().map(|e| view! { <Alert tone="danger"><span data-testid="action-error">{e.to_string()}</span></Alert> })}
        <section class="card" aria-labelledby="slots-heading">
            <h2 id="slots-heading">"Slots and traffic"</h2>
            <div class="slots">
                <SlotPanel data=d.blue.clone() is_live=d.live_slot == Slot::Blue/>
                <SlotPanel data=d.green.clone() is_live=d.live_slot == Slot::Green/>
            </div>
            <SplitBar blue=d.blue.weight green=d.green.weight/>
        </section>
        {detail.switch.clone().map(|s| {
            let (actions, href) = (detail.actions.clone(), self_href.clone());
            view! { <SwitchCard switch=s actions act=forms.act self_href=href confirming/> }
        })}
        {(!active && detail.may.operate).then(|| view! { <StartForm id versions=detail.versions.clone() live=d.live_version.clone() action=forms.start/> })}
        <Charts samples=detail.samples.clone()/>
        <Timeline events=detail.events.clone()/>
        <HealthRuns runs=detail.health_runs.clone() baseline=detail.baseline.clone()/>
        {detail.may.edit_baseline.then(|| view! { <BaselineForm product=d.product_key.clone() product_name=d.product_name.clone() checks=detail.baseline.clone() action=forms.baseline/> })}
        <Settings detail=detail.clone() action=forms.settings/>
        {detail.simulation.clone().filter(|_| detail.may.configure).map(|sim| view! { <SimulationForm id simulation=sim action=forms.simulation/> })}
        <History switches=detail.history.clone()/>
    }
    .into_any()
}

#[component]
fn SlotPanel(data: SlotView, is_live: bool) -> impl IntoView {
    let (slot, live) = (data, is_live);
    let name = slot.slot.label();
    view! {
        <div class=format!("slot-panel slot-{}", slot.slot.as_str()) data-testid=format!("slot-{}", slot.slot.as_str())>
            <h3>{name} {live.then_some(" (live)")}</h3>
            <dl class="facts">
                <dt>"Release"</dt>
                <dd>{slot.version.clone().map_or_else(|| view! { <span class="muted">"none"</span> }.into_any(), |v| view! { <code>{v}</code> }.into_any())}</dd>
                <dt>"State"</dt><dd><WorkBadge kind=WorkKind::Target status=slot.state.as_str()/></dd>
                <dt>"Health"</dt><dd><WorkBadge kind=WorkKind::Target status=slot.health.as_str()/></dd>
                <dt>"Traffic"</dt><dd data-testid=format!("weight-{}", slot.slot.as_str())>{format!("{} %", slot.weight)}</dd>
            </dl>
        </div>
    }
}

fn action_label(action: &str) -> &'static str {
    match action {
        "promote" => "Promote to 100 %",
        "pause" => "Pause",
        "resume" => "Resume",
        "abort" => "Abort…",
        _ => "Roll back…",
    }
}

#[component]
fn SwitchCard(
    switch: SwitchSummary,
    actions: Vec<String>,
    act: ServerAction<SwitchAction>,
    self_href: String,
    confirming: Memo<Option<String>>,
) -> impl IntoView {
    let s = switch;
    let deployment_href = self_href.clone();
    let finished = !is_active(s.status);
    let reason_tone = match s.status {
        SwitchStatus::Completed => "success",
        SwitchStatus::Paused => "attention",
        _ => "danger",
    };
    let old_slot = s.from_slot.label().to_owned();
    let steps = s.steps.clone();
    let current = s.step_index;
    let status = s.status;
    let confirm_view = {
        let (actions, old_slot, from_version) = (
            actions.clone(),
            old_slot.clone(),
            s.from_version.clone().unwrap_or_default(),
        );
        let back = self_href.clone();
        move || {
            let asked = confirming.get().filter(|a| actions.contains(a));
            let (back, old_slot, from_version) =
                (back.clone(), old_slot.clone(), from_version.clone());
            asked.map(move |action| {
                let consequence = if action == "rollback" {
                    format!("All traffic goes back to {old_slot} ({from_version}) at once. The new release stays on its slot, idle, for inspection.")
                } else {
                    format!("The switch stops here and all traffic goes back to {old_slot} ({from_version}). It cannot be resumed; start a new switch instead.")
                };
                let verb = if action == "rollback" { "Roll back now" } else { "Abort the switch" };
                let id_value = deployment_id(&back);
                view! {
                    <div class="confirm-card" role="alertdialog" aria-labelledby="confirm-heading" aria-describedby="confirm-consequence">
                        <h3 id="confirm-heading">{if action == "rollback" { "Roll back this switch?" } else { "Abort this switch?" }}</h3>
                        <p id="confirm-consequence">{consequence}</p>
                        <div class="action-row">
                            <ActionForm action=act attr:class="inline-form">
                                <input type="hidden" name="id" value=id_value/>
                                <button type="submit" name="action" value=action.clone() class="btn btn-danger" data-action=format!("confirm-{action}")>{verb}</button>
                            </ActionForm>
                            <a class="btn btn-secondary" href=back.clone()>"Keep going"</a>
                        </div>
                    </div>
                }
            })
        }
    };
    view! {
        <section class="card" aria-labelledby="switch-heading" data-testid="switch">
            <h2 id="switch-heading">{format!("Switch to {}", s.to_version)}</h2>
            <p class="object-meta">
                <span data-testid="switch-status"><WorkBadge kind=WorkKind::Target status=s.status.as_str()/></span>
                <span class="chip">{format!("{} {} → {} {}", s.from_slot.label(), s.from_version.clone().unwrap_or_default(), s.to_slot.label(), s.to_version)}</span>
                <span class="chip" data-testid="switch-step">{switch_step_text(&s)}</span>
                <span class="muted">{format!("by {} at {}", s.requester, utc(&s.created_at))}</span>
            </p>
            <ol class="switch-steps" aria-label="Phases and traffic steps">
                {
                    let phase = |label: &'static str, done: bool, now: bool| view! {
                        <li class=if now { "step step-current" } else if done { "step step-done" } else { "step" }>{label}</li>
                    };
                    let moved = current >= 0;
                    let completed = status == SwitchStatus::Completed;
                    view! {
                        {phase("Prepare", status != SwitchStatus::Preparing, status == SwitchStatus::Preparing)}
                        {phase("Validate", moved || completed, status == SwitchStatus::Validating)}
                    }
                }
                {steps.iter().enumerate().map(|(i, percent)| {
                    let i = i as i32;
                    let class = if status == SwitchStatus::Completed || i < current { "step step-done" } else if i == current && !finished { "step step-current" } else { "step" };
                    view! { <li class=class data-step=i + 1>{format!("{percent} %")}</li> }
                }).collect_view()}
            </ol>
            {s.reason.clone().map(|reason| view! {
                <Alert tone=reason_tone><span data-testid="switch-reason">{reason}</span></Alert>
            })}
            {finished.then(|| view! { <p class="muted">{format!("Finished {}", utc_or_dash(s.finished_at.as_ref()))}</p> })}
            {(!actions.is_empty()).then(|| view! {
                <div class="action-row no-print" data-testid="switch-actions">
                    {actions.iter().cloned().map(|action| {
                        if action == "rollback" || action == "abort" {
                            view! { <a class="btn btn-danger" href=format!("{deployment_href}?confirm={action}") data-action=action.clone()>{action_label(&action)}</a> }.into_any()
                        } else {
                            let class = if action == "resume" || action == "promote" { "btn btn-primary" } else { "btn btn-secondary" };
                            let id_value = deployment_id(&deployment_href);
                            view! {
                                <ActionForm action=act attr:class="inline-form">
                                    <input type="hidden" name="id" value=id_value/>
                                    <button type="submit" name="action" value=action.clone() class=class data-action=action.clone()>{action_label(&action)}</button>
                                </ActionForm>
                            }.into_any()
                        }
                    }).collect_view()}
                </div>
            })}
            {confirm_view}
        </section>
    }
    .into_any()
}

fn deployment_id(href: &str) -> String {
    href.rsplit('/').next().unwrap_or_default().to_owned()
}

#[component]
fn StartForm(
    id: Uuid,
    versions: Vec<String>,
    live: Option<String>,
    action: ServerAction<StartSwitch>,
) -> impl IntoView {
    let error = action_error(action);
    let options: Vec<(String, String)> = versions
        .into_iter()
        .filter(|v| Some(v) != live.as_ref())
        .map(|v| (v.clone(), v))
        .collect();
    view! {
        <section class="card no-print" aria-labelledby="start-heading">
            <h2 id="start-heading">"Start a switch"</h2>
            <p class="muted">"The idle slot gets the release, is checked against the health baseline, then takes traffic step by step. Thresholds below decide an automatic rollback. A switch is the tenant's upgrade: its approval rule, maintenance windows, blackouts and version policy apply."</p>
            <FormErrors error field_name=form_field/>
            {move || action.value().get().and_then(|r| r.ok()).and_then(|asked| asked.waiting.map(|why| view! {
                <Alert tone="info">
                    <span data-testid="switch-waiting">{format!("The switch is an upgrade change request and has not started yet. {why} ")}</span>
                    <a href=format!("/changes/{}", asked.change_id)>"Open the change request"</a>
                </Alert>
            }))}
            <ActionForm action attr:class="form form-inline" attr:novalidate=true attr:data-testid="switch-form">
                <input type="hidden" name="id" value=id.to_string()/>
                <SelectField name="form[version]" label="Release" required=true options empty="Choose a release" error=field_message(error, "version")/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Starting…" } else { "Start switch" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

fn series_of(samples: &[SampleRow], slot: Slot, value: impl Fn(&SampleRow) -> f64) -> Series {
    let start = samples.first().map(|s| s.at);
    Series {
        name: slot.label().to_owned(),
        class: if slot == Slot::Blue {
            "slot-blue"
        } else {
            "slot-green"
        },
        points: samples
            .iter()
            .filter(|s| s.slot == slot && s.requests > 0)
            .map(|s| {
                let seconds =
                    start.map_or(0.0, |t0| (s.at - t0).num_milliseconds() as f64 / 1000.0);
                (seconds, value(s))
            })
            .collect(),
    }
}

#[component]
fn Charts(samples: Vec<SampleRow>) -> impl IntoView {
    if samples.is_empty() {
        return view! {
            <section class="card" aria-labelledby="health-charts-heading">
                <h2 id="health-charts-heading">"Error rate and latency"</h2>
                <p class="muted" data-testid="charts-empty">"No traffic measured yet: the charts fill in once a switch moves traffic."</p>
            </section>
        }
        .into_any();
    }
    let errors = vec![
        series_of(&samples, Slot::Blue, |s| s.error_rate),
        series_of(&samples, Slot::Green, |s| s.error_rate),
    ];
    let latency = vec![
        series_of(&samples, Slot::Blue, |s| s.latency_ms),
        series_of(&samples, Slot::Green, |s| s.latency_ms),
    ];
    let intervals = samples.len() / 2;
    view! {
        <section class="card" aria-labelledby="health-charts-heading">
            <h2 id="health-charts-heading">"Error rate and latency"</h2>
            <div class="chart-pair">
                <figure>
                    <figcaption id="error-chart-title">"Error rate per interval (5xx)"</figcaption>
                    <SeriesChart labelled_by="error-chart-title" description=format!("Error rate of blue and green over {intervals} monitoring intervals") unit="%" floor=5.0 series=errors/>
                </figure>
                <figure>
                    <figcaption id="latency-chart-title">"Latency per interval"</figcaption>
                    <SeriesChart labelled_by="latency-chart-title" description=format!("Latency of blue and green over {intervals} monitoring intervals") unit="ms" floor=10.0 series=latency/>
                </figure>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn Timeline(events: Vec<EventRow>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            {if events.is_empty() {
                view! { <p class="muted">"Nothing has happened yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline" data-testid="timeline">
                        {events.into_iter().map(|e| view! {
                            <li class=format!("timeline-item timeline-{}", e.kind.as_str()) data-kind=e.kind.as_str()>
                                <span class="timeline-time nowrap">{e.at.format("%H:%M:%S").to_string()}</span>
                                <span class="timeline-message">{e.message.clone()}</span>
                                <span class="muted cell-note">{e.actor.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn HealthRuns(
    runs: Vec<HealthRunRow>,
    baseline: Vec<crate::domain::deployments::health::HealthCheck>,
) -> impl IntoView {
    view! {
        <section class="card table-card" aria-labelledby="health-heading">
            <h2 id="health-heading">"Health baseline"</h2>
            <ul class="check-list">
                {baseline.into_iter().map(|c| view! {
                    <li><strong>{c.name.clone()}</strong>{format!(": GET {} → {}", c.path, c.expect_status)}
                        {(!c.body_contains.is_empty()).then(|| format!(", body contains \"{}\"", c.body_contains))}
                        {format!(", within {} ms", c.max_latency_ms)}</li>
                }).collect_view()}
            </ul>
            {if runs.is_empty() {
                view! { <p class="muted">"No health checks have run yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table table-compact" data-testid="health-runs">
                            <thead><tr><th scope="col">"Time (UTC)"</th><th scope="col">"Slot"</th><th scope="col">"Result"</th><th scope="col">"Checks"</th></tr></thead>
                            <tbody>
                                {runs.into_iter().map(|r| view! {
                                    <tr>
                                        <td class="nowrap">{r.at.format("%H:%M:%S").to_string()}</td>
                                        <td>{r.slot.label()}</td>
                                        <td><WorkBadge kind=WorkKind::Target status=if r.passed { "healthy" } else { "unhealthy" }/></td>
                                        <td>{r.results.iter().map(|c| format!("{}: {}", c.name, c.detail)).collect::<Vec<_>>().join("; ")}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn BaselineForm(
    product: String,
    product_name: String,
    checks: Vec<crate::domain::deployments::health::HealthCheck>,
    action: ServerAction<SaveHealthBaseline>,
) -> impl IntoView {
    let error = action_error(action);
    let saved = success_count(action);
    view! {
        <section class="card no-print" aria-labelledby="baseline-heading">
            <h2 id="baseline-heading">{format!("Health baseline of {product_name}")}</h2>
            <p class="muted">"Every deployment of this product validates its new slot against these checks, and probes it every monitoring interval."</p>
            {move || (saved.get() > 0 && error.get().is_none()).then(|| view! { <Alert tone="success">"Baseline saved."</Alert> })}
            <FormErrors error field_name=form_field/>
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="baseline-form">
                <input type="hidden" name="product" value=product/>
                <TextAreaField name="checks" label="Checks, one per line" rows=4
                    value=crate::domain::deployments::health::format_check_lines(&checks)
                    placeholder="Health | /healthz | 200 | ok | 500"
                    help="name | path | expected status | text the body must contain (may be empty) | latency limit in ms"
                    error=field_message(error, "checks")/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-secondary" disabled=move || action.pending().get()>"Save baseline"</button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn Settings(detail: DeploymentPage, action: ServerAction<SaveSwitchSettings>) -> impl IntoView {
    let t = detail.thresholds.clone();
    let id = detail.deployment.id;
    if !detail.may.configure {
        return view! {
            <section class="card" aria-labelledby="settings-heading">
                <h2 id="settings-heading">"Switch settings"</h2>
                <dl class="facts">
                    <dt>"Steps"</dt><dd>{format!("{} %", detail.steps)}</dd>
                    <dt>"Bake time"</dt><dd>{format!("{} s per step, judged every {} s", detail.bake_seconds, detail.interval_seconds)}</dd>
                    <dt>"Rolls back when"</dt>
                    <dd>{format!("error rate above {} % or {} points above the live slot; latency above {} ms or {}× the live slot; {} failed health checks in a row (judged from {} requests per interval)",
                        t.max_error_rate, t.max_error_rate_over_live, t.max_latency_ms, t.max_latency_ratio_to_live, t.max_consecutive_failures, t.min_requests)}</dd>
                </dl>
            </section>
        }
        .into_any();
    }
    let error = action_error(action);
    let saved = success_count(action);
    let field = move |name: &'static str| field_message(error, name);
    view! {
        <section class="card no-print" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Switch settings"</h2>
            {move || (saved.get() > 0 && error.get().is_none()).then(|| view! { <Alert tone="success">"Settings saved: the next switch uses them."</Alert> })}
            <FormErrors error field_name=form_field/>
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="settings-form">
                <input type="hidden" name="id" value=id.to_string()/>
                <FieldGroup legend="Steps">
                    <TextField name="form[steps]" label="Traffic steps (%)" value=detail.steps.clone() help="Rising, ending at 100" error=field("steps")/>
                    <TextField name="form[bake_seconds]" label="Bake time per step (s)" value=detail.bake_seconds.to_string() error=field("bake_seconds")/>
                    <TextField name="form[interval_seconds]" label="Monitoring interval (s)" value=detail.interval_seconds.to_string() error=field("interval_seconds")/>
                </FieldGroup>
                <FieldGroup legend="Automatic rollback">
                    <TextField name="form[max_error_rate]" label="Max error rate (%)" value=t.max_error_rate.to_string() error=field("max_error_rate")/>
                    <TextField name="form[max_error_rate_over_live]" label="Max points above live" value=t.max_error_rate_over_live.to_string() error=field("max_error_rate_over_live")/>
                    <TextField name="form[max_latency_ms]" label="Max latency (ms)" value=t.max_latency_ms.to_string() error=field("max_latency_ms")/>
                    <TextField name="form[max_latency_ratio_to_live]" label="Max latency × live" value=t.max_latency_ratio_to_live.to_string() error=field("max_latency_ratio_to_live")/>
                    <TextField name="form[max_consecutive_failures]" label="Failed checks in a row" value=t.max_consecutive_failures.to_string() error=field("max_consecutive_failures")/>
                    <TextField name="form[min_requests]" label="Min requests to judge" value=t.min_requests.to_string() help="Per interval; fewer judge nothing" error=field("min_requests")/>
                </FieldGroup>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>"Save settings"</button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn SimulationForm(
    id: Uuid,
    simulation: crate::api::deployments::Simulation,
    action: ServerAction<SaveSimulation>,
) -> impl IntoView {
    let error = action_error(action);
    let field = move |name: &'static str| field_message(error, name);
    view! {
        <section class="card no-print" aria-labelledby="simulation-heading">
            <h2 id="simulation-heading">"Simulated traffic"</h2>
            <p class="muted">"This deployment's router is the simulator. Inject errors or latency into a slot to watch the analysis roll a switch back."</p>
            <FormErrors error field_name=form_field/>
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="simulation-form">
                <input type="hidden" name="id" value=id.to_string()/>
                <FieldGroup legend="Faults">
                    <TextField name="form[requests_per_second]" label="Requests per second" value=simulation.requests_per_second.to_string() error=field("requests_per_second")/>
                    <TextField name="form[blue_error_rate]" label="Blue error rate (%)" value=simulation.blue.error_rate.to_string() error=field("blue.error_rate")/>
                    <TextField name="form[blue_latency_ms]" label="Blue latency (ms)" value=simulation.blue.latency_ms.to_string() error=field("blue.latency_ms")/>
                    <TextField name="form[green_error_rate]" label="Green error rate (%)" value=simulation.green.error_rate.to_string() error=field("green.error_rate")/>
                    <TextField name="form[green_latency_ms]" label="Green latency (ms)" value=simulation.green.latency_ms.to_string() error=field("green.latency_ms")/>
                </FieldGroup>
                <div class="form-actions">
                    <button type="submit" class="btn btn-secondary" disabled=move || action.pending().get()>"Apply"</button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn History(switches: Vec<SwitchSummary>) -> impl IntoView {
    if switches.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card table-card" aria-labelledby="history-heading">
            <h2 id="history-heading">"Earlier switches"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="switch-history">
                    <thead><tr><th scope="col">"Started (UTC)"</th><th scope="col">"From → to"</th><th scope="col">"Outcome"</th><th scope="col">"Reason"</th><th scope="col">"By"</th></tr></thead>
                    <tbody>
                        {switches.into_iter().map(|s| view! {
                            <tr>
                                <td class="nowrap">{utc(&s.created_at)}</td>
                                <td class="nowrap"><code>{s.from_version.clone().unwrap_or_default()}</code>" → "<code>{s.to_version.clone()}</code></td>
                                <td><WorkBadge kind=WorkKind::Target status=s.status.as_str()/></td>
                                <td>{s.reason.clone().unwrap_or_default()}</td>
                                <td>{s.requester.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
