//! The tenant at a glance (top of the Overview tab): its trouble, health
//! against the availability target with the daily pass rate and probe
//! durations charted, versions and compliance, changes in flight, failures
//! and rollbacks, webhook deliveries, router traffic and open alerts.

use leptos::prelude::*;

use crate::api::tenants::health::tenant_overview;
use crate::domain::platform::slo::SloVerdict;
use crate::model::tenants::overview::{
    OverviewHealth, RecentFailure, TenantOverview, TrafficPoint, WebhookHealth,
};
use crate::ui::components::badge::{ComplianceBadge, WorkBadge, WorkKind};
use crate::ui::components::chart::{
    Bar, DailyRateChart, DayBar, HorizontalBarChart, Series, SeriesChart,
};
use crate::ui::components::page::Alert;
use crate::ui::components::progress::ProgressBar;
use crate::ui::components::time::{utc, utc_or_dash};
use crate::ui::tenants::trouble_page::TroubleChips;

#[component]
pub fn OverviewPanel(slug: String) -> impl IntoView {
    let data = Resource::new(move || slug.clone(), tenant_overview);
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's overview…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(overview) => view! { <Glance overview/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// A verdict as a badge.
#[component]
pub fn VerdictBadge(verdict: SloVerdict) -> impl IntoView {
    let (tone, glyph) = match verdict {
        SloVerdict::Met => ("tone-success", "✓"),
        SloVerdict::Missed => ("tone-danger", "✕"),
        SloVerdict::NoData => ("tone-neutral", "–"),
    };
    view! {
        <span class=format!("badge {tone}") data-verdict=format!("{verdict:?}").to_lowercase()>
            <span class="badge-glyph" aria-hidden="true">{glyph}</span>{verdict.label()}
        </span>
    }
    .into_any()
}

/// A percentage with two decimals, or a dash.
pub fn percent_or_dash(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2} %"))
}

#[component]
fn Glance(overview: TenantOverview) -> impl IntoView {
    let health = overview.health.clone();
    let in_flight = overview.in_flight.len();
    view! {
        <div data-testid="tenant-overview">
            <div class="stat-grid">
                <section class="card stat">
                    <h2 class="stat-label">"Trouble"</h2>
                    <div class="stat-value stat-value-small" data-testid="overview-trouble">
                        {if overview.trouble.reasons.is_empty() {
                            view! { <span class="badge tone-success"><span class="badge-glyph" aria-hidden="true">"✓"</span>"None"</span> }.into_any()
                        } else {
                            view! { <TroubleChips reasons=overview.trouble.reasons.clone()/> }.into_any()
                        }}
                    </div>
                </section>
                <section class="card stat">
                    <h2 class="stat-label">"Availability, 30 days"</h2>
                    <p class="stat-value" data-testid="overview-availability">{percent_or_dash(health.availability)}</p>
                    <p class="muted"><VerdictBadge verdict=health.verdict/>" target "{format!("{} %", health.availability_target)}</p>
                </section>
                <section class="card stat">
                    <h2 class="stat-label">"Last health run"</h2>
                    <p class="stat-value stat-value-small" data-testid="overview-last-run">{match health.last_run_passed {
                        Some(true) => view! { <span class="badge tone-success"><span class="badge-glyph" aria-hidden="true">"✓"</span>"Passed"</span> }.into_any(),
                        Some(false) => view! { <span class="badge tone-danger"><span class="badge-glyph" aria-hidden="true">"✕"</span>{format!("Failed ({} in a row)", health.consecutive_failures)}</span> }.into_any(),
                        None => view! { <span class="muted">"Never run"</span> }.into_any(),
                    }}</p>
                    <p class="muted">{utc_or_dash(health.last_run_at.as_ref())}</p>
                </section>
                <section class="card stat">
                    <h2 class="stat-label">"Changes in flight"</h2>
                    <p class="stat-value" data-testid="overview-in-flight">{in_flight}</p>
                </section>
            </div>
            {(!health.failing_checks.is_empty()).then(|| {
                let failing = health.failing_checks.join(" · ");
                view! { <Alert tone="danger"><span data-testid="overview-failing-checks">"Failing now: " {failing}</span></Alert> }
            })}
            {overview.alerts.clone().filter(|a| !a.is_empty()).map(|alerts| view! {
                <section class="card" aria-labelledby="overview-alerts-heading">
                    <h2 id="overview-alerts-heading">"Open alerts"</h2>
                    <ul class="plain-list" data-testid="overview-alerts">
                        {alerts.into_iter().map(|a| view! {
                            <li><span class="badge tone-attention">{a.status}</span>" "<strong>{a.title}</strong>" — "{a.summary}" "<span class="muted">{utc(&a.opened_at)}</span>" "<a href=a.link>"Alerts"</a></li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            <div class="distribution">
                <HealthCharts health=health.clone() slug=overview.slug.clone()/>
                <VersionsCard overview=overview.clone()/>
            </div>
            <div class="distribution">
                <InFlightCard overview=overview.clone()/>
                <FailuresCard failures=overview.recent_failures.clone()/>
            </div>
            <div class="distribution">
                <WebhooksCard webhooks=overview.webhooks.clone()/>
                <TrafficCard traffic=overview.traffic.clone()/>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn HealthCharts(health: OverviewHealth, slug: String) -> impl IntoView {
    let days: Vec<DayBar> = health.days.iter().map(DayBar::from).collect();
    let first = health.probe_ms.first().map(|(at, ..)| *at);
    let points: Vec<(f64, f64)> = health
        .probe_ms
        .iter()
        .map(|(at, ms, _)| {
            let hours = first.map_or(0.0, |f| (*at - f).num_seconds() as f64 / 3600.0);
            (hours, *ms as f64)
        })
        .collect();
    view! {
        <section class="card" aria-labelledby="overview-health-heading">
            <h2 id="overview-health-heading">"Health"</h2>
            {if health.runs == 0 {
                view! { <p class="muted" data-testid="overview-health-empty">"No health runs in the last 30 days. Set the tenant's address on the Health tab to start its baseline."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">{format!("{} of {} runs passed over 30 days.", health.passed, health.runs)}</p>
                    <div data-testid="overview-health-chart">
                        <DailyRateChart labelled_by="overview-health-heading" description="Share of passing health runs per day over the last 30 days.".to_owned() days/>
                    </div>
                }.into_any()
            }}
            {(points.len() > 1).then(|| view! {
                <h3 id="overview-probe-heading">"Probe duration, last runs"</h3>
                <SeriesChart labelled_by="overview-probe-heading" description="How long each of the last health runs took, in milliseconds.".to_owned()
                    unit="ms" floor=100.0 x_unit=("h", "Hour")
                    series=vec![Series { name: "Probe".into(), class: "slot-blue", points }]/>
            })}
            <p><a href=format!("/tenants/{slug}/health")>"Runs and checks"</a></p>
        </section>
    }
    .into_any()
}

#[component]
fn VersionsCard(overview: TenantOverview) -> impl IntoView {
    let slug = overview.slug.clone();
    view! {
        <section class="card" aria-labelledby="overview-versions-heading">
            <h2 id="overview-versions-heading">"Versions and compliance"</h2>
            {if overview.versions.is_empty() {
                view! { <p class="muted">"No products licensed yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table table-compact" data-testid="overview-versions">
                        <thead><tr><th scope="col">"Product"</th><th scope="col">"Running"</th><th scope="col">"Compliance"</th></tr></thead>
                        <tbody>
                            {overview.versions.into_iter().map(|v| view! {
                                <tr title=v.detail>
                                    <td>{v.product}</td>
                                    <td><code>{v.running_version}</code></td>
                                    <td><ComplianceBadge status=v.status days_left=v.days_left/></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <p><a href=format!("/tenants/{slug}/versions")>"All versions"</a></p>
        </section>
    }
    .into_any()
}

#[component]
fn InFlightCard(overview: TenantOverview) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="overview-flight-heading">
            <h2 id="overview-flight-heading">"Changes in flight"</h2>
            {if overview.in_flight.is_empty() {
                view! { <p class="muted" data-testid="overview-no-flight">"Nothing in flight: no change waits for approval, a window or a worker."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list" data-testid="overview-flight">
                        {overview.in_flight.into_iter().map(|c| view! {
                            <li>
                                <a href=format!("/changes/{}", c.id)>{c.title.clone()}</a>" "
                                <WorkBadge kind=WorkKind::Change status=c.status.as_str()/>
                                <ProgressBar percent=c.progress label=format!("{} progress", c.title)/>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn FailuresCard(failures: Vec<RecentFailure>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="overview-failures-heading">
            <h2 id="overview-failures-heading">"Failures and rollbacks, 30 days"</h2>
            {if failures.is_empty() {
                view! { <p class="muted" data-testid="overview-no-failures">"No change failed and nothing was rolled back."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list" data-testid="overview-failures">
                        {failures.into_iter().map(|f| view! {
                            <li>
                                <a href=f.link>{f.what}</a>" "<span class="muted">{utc(&f.at)}</span>
                                {(!f.detail.is_empty()).then(|| view! { <br/><span class="muted">{f.detail}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn WebhooksCard(webhooks: WebhookHealth) -> impl IntoView {
    let endpoints =
        webhooks.endpoints_healthy + webhooks.endpoints_failing + webhooks.endpoints_disabled;
    let bars = vec![
        Bar {
            label: "Delivered".into(),
            value: webhooks.delivered,
            tone_class: "tone-success",
        },
        Bar {
            label: "Pending".into(),
            value: webhooks.pending,
            tone_class: "tone-info",
        },
        Bar {
            label: "Dead".into(),
            value: webhooks.dead,
            tone_class: "tone-danger",
        },
    ];
    view! {
        <section class="card" aria-labelledby="overview-webhooks-heading">
            <h2 id="overview-webhooks-heading">"Webhook deliveries, 24 hours"</h2>
            {if endpoints == 0 {
                view! { <p class="muted" data-testid="overview-no-webhooks">"The tenant has no webhook endpoint."</p> }.into_any()
            } else {
                view! {
                    <p data-testid="overview-endpoints">
                        {format!("{} endpoint(s): {} healthy, {} failing, {} disabled.", endpoints, webhooks.endpoints_healthy, webhooks.endpoints_failing, webhooks.endpoints_disabled)}
                    </p>
                    <HorizontalBarChart labelled_by="overview-webhooks-heading" description="Deliveries to the tenant's endpoints over the last 24 hours, by outcome.".to_owned() bars/>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn TrafficCard(traffic: Vec<TrafficPoint>) -> impl IntoView {
    if traffic.len() < 2 {
        return view! {
            <section class="card" aria-labelledby="overview-traffic-heading">
                <h2 id="overview-traffic-heading">"Traffic"</h2>
                <p class="muted" data-testid="overview-no-traffic">"The router reports the tenant's error rate and latency while a blue-green switch runs; none has reported yet."</p>
            </section>
        }
        .into_any();
    }
    let first = traffic[0].at;
    let x = |p: &TrafficPoint| (p.at - first).num_seconds() as f64 / 60.0;
    let errors: Vec<(f64, f64)> = traffic
        .iter()
        .map(|p| {
            let rate = if p.requests > 0 {
                p.errors as f64 * 100.0 / p.requests as f64
            } else {
                0.0
            };
            (x(p), rate)
        })
        .collect();
    let latency: Vec<(f64, f64)> = traffic.iter().map(|p| (x(p), p.latency_ms)).collect();
    view! {
        <section class="card" aria-labelledby="overview-traffic-heading">
            <h2 id="overview-traffic-heading">"Traffic"</h2>
            <p class="muted">{format!("The router's last {} samples, from {}.", traffic.len(), utc(&first))}</p>
            <div data-testid="overview-traffic">
                <SeriesChart labelled_by="overview-traffic-heading" description="Error rate of the tenant's traffic through the router.".to_owned()
                    unit="%" floor=1.0 x_unit=("min", "Minute")
                    series=vec![Series { name: "Errors".into(), class: "slot-green", points: errors }]/>
                <SeriesChart labelled_by="overview-traffic-heading" description="Mean latency of the tenant's traffic through the router.".to_owned()
                    unit="ms" floor=50.0 x_unit=("min", "Minute")
                    series=vec![Series { name: "Latency".into(), class: "slot-blue", points: latency }]/>
            </div>
        </section>
    }
    .into_any()
}
