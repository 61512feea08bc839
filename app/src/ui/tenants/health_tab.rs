//! The tenant's Health tab: where it is probed, whether the periodic
//! validation watches it, the pass rate per day over 30 days, the checks
//! failing now and the last runs with each check's result.

use leptos::prelude::*;

use crate::api::tenants::health::{
    HealthRunRow, RunHealthCheck, SetTenantAddress, TenantHealthPage, health_of_tenant,
};
use crate::domain::tenants::health::failing_text;
use crate::ui::components::badge::StateBadge;
use crate::ui::components::chart::{DailyRateChart, DayBar};
use crate::ui::components::form::{FormErrors, TextField, action_error, field_message};
use crate::ui::components::page::Alert;
use crate::ui::components::time::{utc, utc_or_dash};

#[component]
pub fn HealthTab(slug: String) -> impl IntoView {
    let run = ServerAction::<RunHealthCheck>::new();
    let set_address = ServerAction::<SetTenantAddress>::new();
    let tenant = slug.clone();
    let data = Resource::new(
        move || (run.version().get(), set_address.version().get()),
        move |_| health_of_tenant(tenant.clone()),
    );
    let run_error = action_error(run);
    view! {
        {move || run_error.get().map(|e| view! { <Alert tone="danger"><span data-testid="health-run-error">{e.to_string()}</span></Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's health…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(health) => view! {
                        <HealthSummary health=health.clone() run/>
                        <AddressCard health=health.clone() set_address/>
                        <PassRateCard health=health.clone()/>
                        <RunsCard runs=health.runs.clone()/>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HealthSummary(health: TenantHealthPage, run: ServerAction<RunHealthCheck>) -> impl IntoView {
    let failing: Vec<String> = health
        .runs
        .first()
        .map(|last| {
            last.results
                .iter()
                .filter(|r| !r.passed)
                .map(|r| failing_text(std::slice::from_ref(r)))
                .collect()
        })
        .unwrap_or_default();
    let watch = if health.base_url.is_none() {
        "Not watched: the tenant has no address yet.".to_owned()
    } else if health.watched {
        format!(
            "Watched: an active tenant becomes broken after {} failing runs in a row, and active again after a passing one.",
            health.failures_to_break
        )
    } else {
        format!(
            "Not watched while {}: only active and broken tenants are probed periodically.",
            health.state.label().to_lowercase()
        )
    };
    let last = health.runs.first().cloned();
    view! {
        <div class="stat-grid">
            <section class="card stat">
                <h2 class="stat-label">"State"</h2>
                <p class="stat-value" data-testid="health-state"><StateBadge state=health.state/></p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"Last run"</h2>
                <p class="stat-value" data-testid="health-last">{match &last {
                    Some(run) if run.passed => view! { <span class="badge tone-success"><span class="badge-glyph" aria-hidden="true">"✓"</span>"Passed"</span> }.into_any(),
                    Some(_) => view! { <span class="badge tone-danger"><span class="badge-glyph" aria-hidden="true">"✕"</span>"Failed"</span> }.into_any(),
                    None => view! { <span class="muted">"None yet"</span> }.into_any(),
                }}</p>
                <p class="muted">{last.as_ref().map(|r| utc(&r.at)).unwrap_or_default()}</p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"Failing in a row"</h2>
                <p class="stat-value" data-testid="health-failures">{format!("{} of {}", health.consecutive_failures, health.failures_to_break)}</p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"Pass rate, 30 days"</h2>
                <p class="stat-value" data-testid="health-pass-rate">{health.pass_rate.map_or_else(|| "—".to_owned(), |p| format!("{p} %"))}</p>
            </section>
        </div>
        <section class="card" aria-labelledby="health-heading">
            <h2 id="health-heading">"Health baseline"</h2>
            {health.state_reason.clone().map(|why| view! { <Alert tone="danger"><span data-testid="health-reason">{why}</span></Alert> })}
            <p data-testid="health-watch">{watch}</p>
            <p class="muted">"Next periodic run: " {utc_or_dash(health.next_run_at.as_ref())}</p>
            {if failing.is_empty() {
                None
            } else {
                Some(view! {
                    <h3>"Failing now"</h3>
                    <ul class="plain-list" data-testid="health-failing">
                        {failing.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                    </ul>
                })
            }}
            <h3>"Checks"</h3>
            <table class="table table-compact" data-testid="health-checks">
                <thead><tr><th scope="col">"Product"</th><th scope="col">"Check"</th><th scope="col">"Path or suite"</th></tr></thead>
                <tbody>
                    {health.checks.iter().map(|(product, name, path)| view! {
                        <tr><td>{product.clone()}</td><td>{name.clone()}</td><td><code>{path.clone()}</code></td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">"Each product's baseline is set on the Deployments page; a tenant that runs no product yet gets the default check."</p>
            {(health.may.run && health.base_url.is_some()).then(|| view! {
                <ActionForm action=run attr:class="inline-form" attr:data-testid="health-run-form">
                    <input type="hidden" name="slug" value=health.slug.clone()/>
                    <button type="submit" class="btn btn-primary" disabled=move || run.pending().get()>
                        {move || if run.pending().get() { "Running…" } else { "Run now" }}
                    </button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn AddressCard(
    health: TenantHealthPage,
    set_address: ServerAction<SetTenantAddress>,
) -> impl IntoView {
    let error = action_error(set_address);
    let field_error = move |field: &'static str| field_message(error, field);
    let current = health.base_url.clone();
    view! {
        <section class="card" aria-labelledby="address-heading">
            <h2 id="address-heading">"Address"</h2>
            <p data-testid="health-address">{match current.clone() {
                Some(url) => view! { "Checks are probed at " <code>{url}</code> "." }.into_any(),
                None => view! { <span class="muted">"No address yet: the tenant's baselines are not run."</span> }.into_any(),
            }}</p>
            {if health.may.set_address {
                view! {
                    <FormErrors error/>
                    <ActionForm action=set_address attr:class="form form-grid" attr:novalidate=true attr:data-testid="address-form">
                        <input type="hidden" name="slug" value=health.slug.clone()/>
                        <TextField name="base_url" label="Base URL" value=current.unwrap_or_default() placeholder="https://acme.example.com" help="http:// or https://, no query; each check adds its path. Empty stops the validation." error=field_error("base_url")/>
                        <button type="submit" class="btn btn-secondary">"Save address"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <p class="muted">"The vendor sets where the tenant is probed."</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn PassRateCard(health: TenantHealthPage) -> impl IntoView {
    let days: Vec<DayBar> = health.days.iter().map(DayBar::from).collect();
    let runs: u32 = days.iter().map(|d| d.runs).sum();
    view! {
        <section class="card" aria-labelledby="pass-rate-heading">
            <h2 id="pass-rate-heading">"Pass rate per day"</h2>
            {if runs == 0 {
                view! { <p class="muted" data-testid="pass-rate-empty">"No runs in the last 30 days."</p> }.into_any()
            } else {
                view! {
                    <div data-testid="pass-rate-chart">
                        <DailyRateChart labelled_by="pass-rate-heading" description=format!("Share of passing health runs per day over the last 30 days; {runs} runs in all.") days/>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn RunsCard(runs: Vec<HealthRunRow>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="runs-heading">
            <h2 id="runs-heading">"Last runs"</h2>
            {if runs.is_empty() {
                view! {
                    <div class="empty-state" data-testid="health-runs-empty">
                        <p><strong>"No runs yet."</strong></p>
                        <p class="muted">"Runs appear here once the tenant has an address: the periodic validation probes it, or press Run now."</p>
                    </div>
                }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="health-runs">
                        <thead><tr>
                            <th scope="col">"When"</th><th scope="col">"Result"</th><th scope="col">"Why"</th>
                            <th scope="col" class="num">"Took"</th><th scope="col">"Checks"</th>
                        </tr></thead>
                        <tbody>
                            {runs.into_iter().map(|run| view! {
                                <tr>
                                    <td>{utc(&run.at)}</td>
                                    <td>{if run.passed {
                                        view! { <span class="badge tone-success"><span class="badge-glyph" aria-hidden="true">"✓"</span>"Passed"</span> }.into_any()
                                    } else {
                                        view! { <span class="badge tone-danger"><span class="badge-glyph" aria-hidden="true">"✕"</span>"Failed"</span> }.into_any()
                                    }}</td>
                                    <td>{run.trigger.label()}</td>
                                    <td class="num">{format!("{} ms", run.duration_ms)}</td>
                                    <td>
                                        <ul class="plain-list">
                                            {run.results.into_iter().map(|r| view! {
                                                <li class=if r.passed { "tone-success" } else { "tone-danger" }>
                                                    {format!("{} {}/{}: {} ({} ms)", if r.passed { "✓" } else { "✕" }, r.product, r.name, r.detail, r.duration_ms)}
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
