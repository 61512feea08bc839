//! Staged rollouts: a release taken across many tenants wave by wave, with
//! their progress and rates, and the form that plans a new one.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::rollouts::{CreateRollout, RolloutList, RolloutRow, rollouts};
use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::rollouts::rollout::RolloutScope;
use crate::ui::components::badge::{WorkBadge, WorkKind};
use crate::ui::components::form::{
    FieldGroup, FormErrors, SelectField, TextAreaField, TextField, action_error, field_message,
    form_field,
};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::progress::{StackedProgress, TargetCounts};

#[component]
pub fn RolloutsPage() -> impl IntoView {
    let create = ServerAction::<CreateRollout>::new();
    // Refetched after a successful create only: a refused one keeps the form as typed.
    let list = Resource::new(
        move || create.value().get().and_then(|r| r.ok()),
        |_| rollouts(),
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/rollouts/{id}"), Default::default());
        }
    });
    view! {
        <div class="page-header-row">
            <PageHeader title="Rollouts" description="A release taken across many tenants in waves: a canary first, then ever larger groups, halting when too many fail."/>
            <a class="btn btn-primary no-print" href="#new-rollout">"New rollout"</a>
        </div>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading rollouts…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! {
                        <RolloutTable rows=list.rows.clone()/>
                        {list.may.create.then(|| view! { <RolloutForm list=list.view.clone() action=create/> })}
                    }.into_any(),
                    Err(crate::error::AppError::Forbidden) => view! {
                        <Alert tone="danger">"Rollouts span every tenant: they need platform-wide read access."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/rollouts">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// A rate in percent, or a dash before anything finished.
pub fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.0} %"))
}

/// What a rollout's targets are: "tenants" or "endpoints".
pub fn target_unit(row: &RolloutRow) -> &'static str {
    if row.scope == RolloutScope::Endpoints {
        "endpoints"
    } else {
        "tenants"
    }
}

pub fn target_counts(row: &RolloutRow) -> TargetCounts {
    TargetCounts {
        total: row.targets,
        succeeded: row.succeeded,
        failed: row.failed,
        running: row.running,
        unit: target_unit(row),
    }
}

#[component]
fn RolloutTable(rows: Vec<RolloutRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="rollouts-empty">
                <p><strong>"No rollouts yet."</strong></p>
                <p class="muted">"Plan one below: pick a release, the tenants it goes to and the waves."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card table-card" aria-labelledby="rollouts-heading">
            <h2 id="rollouts-heading">"Rollouts"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="rollouts-table">
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Release"</th><th scope="col">"Status"</th>
                        <th scope="col">"Targets"</th><th scope="col" class="num">"Wave"</th>
                        <th scope="col" class="num">"Success"</th><th scope="col" class="num">"Rollback"</th><th scope="col">"Created (UTC)"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr data-rollout=r.id.to_string()>
                                <td><a href=format!("/rollouts/{}", r.id)>{r.name.clone()}</a></td>
                                <td class="nowrap">{r.product_key.clone()} " " <code>{r.target_version.clone()}</code><br/><span class="muted">{format!("on {}", target_unit(&r))}</span></td>
                                <td><WorkBadge kind=WorkKind::Rollout status=r.status.as_str()/></td>
                                <td><StackedProgress counts=target_counts(&r) label=format!("Targets of {}", r.name)/></td>
                                <td class="num nowrap">{format!("{} / {}", r.current_wave, r.waves)}</td>
                                <td class="num">{rate(r.success_rate)}</td>
                                <td class="num">{rate(r.rollback_rate)}</td>
                                <td class="nowrap">{r.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn RolloutForm(list: RolloutList, action: ServerAction<CreateRollout>) -> impl IntoView {
    let error = action_error(action);
    let field_error = move |field: &'static str| field_message(error, field);
    let compliance: Vec<(String, String)> = ComplianceKind::ALL
        .into_iter()
        .map(|status| (status.as_str().to_owned(), status.label().to_owned()))
        .collect();
    let scopes = vec![
        (
            "tenants".to_owned(),
            "Tenants: one change request each".to_owned(),
        ),
        (
            "endpoints".to_owned(),
            "Endpoints: each agent installs it".to_owned(),
        ),
    ];
    let on_error = vec![
        (
            "pause".to_owned(),
            "Pause for a person to decide".to_owned(),
        ),
        ("stop".to_owned(), "Stop the rollout".to_owned()),
    ];
    view! {
        <section class="card no-print" id="new-rollout" aria-labelledby="new-rollout-heading">
            <h2 id="new-rollout-heading">"New rollout"</h2>
            <FormErrors error field_name=form_field/>
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="rollout-form">
                <FieldGroup legend="Release">
                        <TextField name="form[name]" label="Name" required=true placeholder="Edge 5.2 to EU tenants" error=field_error("name")/>
                        <SelectField name="form[product]" label="Product" required=true options=list.products.clone() empty="Choose a product" error=field_error("product")/>
                        <TextField name="form[target_version]" label="Target version" required=true placeholder="5.2.0" error=field_error("target_version")/>
                        <SelectField name="form[scope]" label="Upgrade" options=scopes error=field_error("scope")/>
                </FieldGroup>
                <FieldGroup legend="Tenants">
                        <div class="span-all">
                            <TextAreaField name="form[tenants]" label="Tenants (slugs)" rows=3 placeholder="acme-prod, globex-edge" help="Commas or new lines. When given, the filters below are ignored." error=field_error("tenants")/>
                            <p class="field-help">"Or every active tenant licensing the product that matches all of:"</p>
                        </div>
                        <TextField name="form[plan]" label="Plan" placeholder="enterprise" error=field_error("plan")/>
                        <TextField name="form[region]" label="Region" placeholder="eu-central-1" error=field_error("region")/>
                        <TextField name="form[label]" label="Label" placeholder="pilot" error=field_error("label")/>
                        <TextField name="form[current_version]" label="Running version" placeholder="5.1.0" error=field_error("current_version")/>
                        <SelectField name="form[compliance_status]" label="Compliance" options=compliance empty="Any" error=field_error("compliance_status")/>
                </FieldGroup>
                <FieldGroup legend="Waves and safety">
                        <TextField name="form[waves]" label="Waves (cumulative %)" placeholder="1, 10, 50" help="A final wave takes the rest; empty: one wave" error=field_error("waves")/>
                        <div class="span-all">
                            <TextAreaField name="form[wave_plan]" label="Or waves by rule, one per line" rows=3 placeholder="acme-prod, globex-edge\nregion=eu-central-1 label=canary\nrest" help="Each line is a wave: tenant slugs, a filter (plan, region, label, version, compliance) or rest. Replaces the percentages." error=field_error("wave_plan")/>
                        </div>
                        <TextField name="form[success_threshold]" label="Success threshold %" placeholder="95" help="A wave must reach it to go on; default 95" error=field_error("success_threshold")/>
                        <TextField name="form[error_threshold]" label="Error threshold %" placeholder="10" help="More failures halt the rollout; default 10" error=field_error("error_threshold")/>
                        <SelectField name="form[on_error]" label="On error" options=on_error error=field_error("on_error")/>
                        <TextField name="form[concurrency]" label="Concurrency" placeholder="10" help="Targets running at once; default 10" error=field_error("concurrency")/>
                </FieldGroup>
                <FieldGroup legend="Start">
                        <TextField name="form[start_at]" label="Start at (UTC)" input_type="datetime-local" help="Empty: at once" error=field_error("start_at")/>
                        <div class="checkbox-row">
                            <input type="checkbox" id="field-form[requires_approval]" name="form[requires_approval]" value="true"/>
                            <label for="field-form[requires_approval]">"Requires approval before it starts"</label>
                        </div>
                </FieldGroup>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Planning…" } else { "Create rollout" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}
