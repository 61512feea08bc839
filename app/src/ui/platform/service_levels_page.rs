//! `/service-levels`: the portal API's p95 latency and error rate over the
//! last hour, each tenant's 30-day availability, all against the targets
//! the vendor sets here (defaults from seed 003).

use leptos::prelude::*;

use crate::api::platform::service_levels::{SaveSloTargets, ServiceLevels, get_service_levels};
use crate::domain::platform::slo::SloVerdict;
use crate::error::AppError;
use crate::ui::components::chart::{Bar, HorizontalBarChart};
use crate::ui::components::form::{action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::time::utc;
use crate::ui::tenants::overview_panel::{VerdictBadge, percent_or_dash};

#[component]
pub fn ServiceLevelsPage() -> impl IntoView {
    let save = ServerAction::<SaveSloTargets>::new();
    let data = Resource::new(move || save.version().get(), |_| get_service_levels());
    let error = action_error(save);
    view! {
        <PageHeader title="Service levels" description="The portal API's latency and error rate over the last hour, and each tenant's availability over 30 days from its health runs, against the targets you set."/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Working out service levels…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(levels) => view! { <Levels levels=levels.clone()/> {levels.may_configure.then(|| view! { <TargetsForm levels save error/> })} }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <Alert tone="danger">"Service levels span every tenant: they need platform-wide read access."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/service-levels">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

fn millis_or_dash(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.0} ms"))
}

#[component]
fn Levels(levels: ServiceLevels) -> impl IntoView {
    let api = levels.api.clone();
    let t = levels.targets;
    let bars = vec![
        Bar {
            label: "Met".into(),
            value: levels.tenants_met,
            tone_class: "tone-success",
        },
        Bar {
            label: "Missed".into(),
            value: levels.tenants_missed,
            tone_class: "tone-danger",
        },
        Bar {
            label: "No runs".into(),
            value: levels.tenants_without_runs,
            tone_class: "tone-neutral",
        },
    ];
    view! {
        <div class="stat-grid" data-testid="slo-figures">
            <section class="card stat">
                <h2 class="stat-label">"API p95 latency, last hour"</h2>
                <p class="stat-value" data-testid="slo-p95">{millis_or_dash(api.p95_ms)}</p>
                <p class="muted"><VerdictBadge verdict=api.p95_verdict/>{format!(" target under {} ms · p50 {}", t.api_p95_ms, millis_or_dash(api.p50_ms))}</p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"API error rate, last hour"</h2>
                <p class="stat-value" data-testid="slo-errors">{api.error_percent.map_or_else(|| "—".to_owned(), |v| format!("{v:.3} %"))}</p>
                <p class="muted"><VerdictBadge verdict=api.error_verdict/>{format!(" target under {} % · {} of {} requests failed", t.api_error_percent, api.server_errors, api.requests)}</p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"Tenants at target"</h2>
                <p class="stat-value" data-testid="slo-tenants-met">{levels.tenants_met}</p>
                <p class="muted">{format!("of {} · target {} % over {} days", levels.tenants_met + levels.tenants_missed + levels.tenants_without_runs, t.availability_percent, levels.availability_days)}</p>
            </section>
        </div>
        <p class="muted">"API figures are this replica's (requests to /api/ it answered in the last hour; server errors are 5xx). Prometheus has every replica's: see docs/monitoring."</p>
        <div class="distribution">
            <section class="card" aria-labelledby="slo-availability-heading">
                <h2 id="slo-availability-heading">"Tenant availability against the target"</h2>
                <HorizontalBarChart labelled_by="slo-availability-heading" description="Tenants that met, missed or have no runs for the availability target over 30 days.".to_owned() bars/>
            </section>
        </div>
        <section class="card table-card">
            <h2>"Below target or unmeasured"</h2>
            {if levels.below_target.is_empty() {
                view! { <div class="empty-state" data-testid="slo-all-met"><p><strong>"Every tenant meets the target."</strong></p></div> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="slo-below">
                            <thead><tr>
                                <th scope="col">"Tenant"</th><th scope="col">"Region"</th><th scope="col">"Plan"</th>
                                <th scope="col" class="num">"Runs"</th><th scope="col" class="num">"Availability"</th><th scope="col">"Verdict"</th>
                            </tr></thead>
                            <tbody>
                                {levels.below_target.into_iter().map(|r| view! {
                                    <tr>
                                        <td><a href=format!("/tenants/{}", r.slug)>{r.display_name}</a></td>
                                        <td>{r.region}</td>
                                        <td>{r.plan_code}</td>
                                        <td class="num">{format!("{} / {}", r.passed, r.runs)}</td>
                                        <td class="num">{percent_or_dash(r.percent)}</td>
                                        <td><VerdictBadge verdict=r.verdict/>{(r.verdict == SloVerdict::NoData).then_some(" no address or not probed yet")}</td>
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
fn TargetsForm(
    levels: ServiceLevels,
    save: ServerAction<SaveSloTargets>,
    error: Memo<Option<AppError>>,
) -> impl IntoView {
    let t = levels.targets;
    let field = move |name: &'static str| field_message(error, name);
    let saved = Memo::new(move |_| save.value().get().is_some_and(|r| r.is_ok()));
    view! {
        <section class="card" aria-labelledby="slo-targets-heading">
            <h2 id="slo-targets-heading">"Targets"</h2>
            <p class="muted">{match levels.targets_set_at {
                Some(at) => format!("Set {}.", utc(&at)),
                None => "The defaults (seed 003): 99.9 % availability, p95 under 200 ms, under 0.1 % errors.".to_owned(),
            }}</p>
            {move || saved.get().then(|| view! { <Alert tone="success"><span data-testid="slo-saved">"Targets saved."</span></Alert> })}
            <ActionForm action=save attr:class="form form-inline" attr:novalidate=true>
                <div class="field" class:field-invalid=move || field("availability_percent").get().is_some()>
                    <label for="slo-availability">"Availability (%)"</label>
                    {move || field("availability_percent").get().map(|m| view! { <p class="field-error">"⚠ "{m}</p> })}
                    <input id="slo-availability" name="availability_percent" inputmode="decimal" value=t.availability_percent.to_string() size="8"/>
                </div>
                <div class="field" class:field-invalid=move || field("api_p95_ms").get().is_some()>
                    <label for="slo-p95">"API p95 under (ms)"</label>
                    {move || field("api_p95_ms").get().map(|m| view! { <p class="field-error">"⚠ "{m}</p> })}
                    <input id="slo-p95" name="api_p95_ms" inputmode="numeric" value=t.api_p95_ms.to_string() size="8"/>
                </div>
                <div class="field" class:field-invalid=move || field("api_error_percent").get().is_some()>
                    <label for="slo-errors">"API errors under (%)"</label>
                    {move || field("api_error_percent").get().map(|m| view! { <p class="field-error">"⚠ "{m}</p> })}
                    <input id="slo-errors" name="api_error_percent" inputmode="decimal" value=t.api_error_percent.to_string() size="8"/>
                </div>
                <button type="submit" class="btn btn-primary">"Save targets"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
