//! The compliance dashboard: the organisation's percentage and its trend,
//! tenants by status, version distribution and adoption per product, who
//! needs attention, and the full report with filters, CSV and print.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::releases::compliance::ComplianceQuery;
use crate::api::releases::compliance::ComplianceRow;
use crate::api::releases::compliance::ComplianceSummary;
use crate::api::releases::compliance::RunAssessment;
use crate::api::releases::compliance::compliance_dashboard;
use crate::api::releases::compliance::{ComplianceOverview, CompliancePage};
use crate::domain::releases::compliance::ComplianceKind;
use crate::ui::components::badge::{ComplianceBadge, compliance_tone};
use crate::ui::components::chart::{Bar, HorizontalBarChart, PercentLineChart, Point};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::pager::Pager;
use crate::ui::components::url::encode_query_value;

#[component]
pub fn CompliancePage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        let text = |key: &str| map.get(key).filter(|v| !v.trim().is_empty());
        ComplianceQuery {
            status: text("status"),
            product: text("product"),
            tenant: text("tenant").and_then(|t| t.parse().ok()),
            page: text("page").and_then(|p| p.parse().ok()),
            per_page: text("per_page").and_then(|p| p.parse().ok()),
        }
    });
    let assess = ServerAction::<RunAssessment>::new();
    let data = Resource::new(
        move || (query.get(), assess.version().get()),
        |(query, _)| compliance_dashboard(query),
    );
    view! {
        <div class="page-header-row">
            <PageHeader title="Compliance" description="How every tenant's running versions stand against the catalog and the version policies."/>
            <div class="no-print">
                <button type="button" class="btn btn-secondary" onclick="window.print()">"Print report"</button>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading compliance…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(dashboard) => view! { <Dashboard dashboard query=query.get_untracked() assess/> }.into_any(),
                    Err(crate::error::AppError::Forbidden) => view! {
                        <Alert tone="danger">"Compliance reports need the report.read permission."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/compliance">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

fn href_with(query: &ComplianceQuery, page: Option<u64>) -> String {
    let pairs: Vec<String> = [
        ("status", query.status.clone()),
        ("product", query.product.clone()),
        ("tenant", query.tenant.map(|t| t.to_string())),
        ("page", page.map(|p| p.to_string())),
        ("per_page", query.per_page.map(|p| p.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode_query_value(&v))))
    .collect();
    if pairs.is_empty() {
        "/compliance".into()
    } else {
        format!("/compliance?{}", pairs.join("&"))
    }
}

#[component]
fn Dashboard(
    dashboard: CompliancePage,
    query: ComplianceQuery,
    assess: ServerAction<RunAssessment>,
) -> impl IntoView {
    let can_assess = dashboard.may.assess;
    let ComplianceOverview {
        summary,
        report,
        products,
    } = dashboard.view;
    let export = href_with(&query, None).replacen("/compliance", "/compliance/export.csv", 1);
    let q = query.clone();
    view! {
        <SummaryPanels summary=summary.clone() can_assess assess/>
        <section class="card table-card" aria-labelledby="report-heading">
            <div class="page-header-row">
                <h2 id="report-heading">"Report"</h2>
                <a class="btn btn-secondary btn-sm no-print" href=export data-testid="export-csv" rel="external" download>"Export CSV"</a>
            </div>
            <form class="filter-bar no-print" method="get" action="/compliance">
                {query.tenant.map(|t| view! { <input type="hidden" name="tenant" value=t.to_string()/> })}
                <label>"Status "
                    <select name="status">
                        <option value="">"Any"</option>
                        <option value="attention" selected=query.status.as_deref() == Some("attention")>"Needs attention"</option>
                        {ComplianceKind::ALL.into_iter().map(|status| view! {
                            <option value=status.as_str() selected=query.status.as_deref() == Some(status.as_str())>{status.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Product "
                    <select name="product">
                        <option value="">"Any"</option>
                        {products.into_iter().map(|(key, name)| {
                            let selected = query.product.as_deref() == Some(key.as_str());
                            view! { <option value=key selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="btn btn-sm">"Filter"</button>
                <a class="btn btn-sm btn-secondary" href="/compliance">"Clear"</a>
            </form>
            {if report.rows.is_empty() {
                view! {
                    <div class="empty-state">
                        <p><strong>"Nothing to report."</strong></p>
                        <p class="muted">"Tenants appear here once they run a product version from the catalog (tenant page → Versions). Clear the filters to see everything."</p>
                    </div>
                }.into_any()
            } else {
                view! { <ReportTable rows=report.rows.clone()/> }.into_any()
            }}
            <Pager total=report.total page=report.page per_page=report.per_page href=move |p| href_with(&q, Some(p))/>
        </section>
    }
    .into_any()
}

#[component]
fn SummaryPanels(
    summary: ComplianceSummary,
    can_assess: bool,
    assess: ServerAction<RunAssessment>,
) -> impl IntoView {
    let in_grace = summary
        .by_status
        .iter()
        .find(|s| s.status == ComplianceKind::InGrace)
        .map_or(0, |s| s.tenants);
    let eol = summary
        .by_status
        .iter()
        .find(|s| s.status == ComplianceKind::Eol)
        .map_or(0, |s| s.tenants);
    let bars: Vec<Bar> = summary
        .by_status
        .iter()
        .map(|s| Bar {
            label: s.status.label().to_owned(),
            value: s.tenants,
            tone_class: compliance_tone(s.status),
        })
        .collect();
    let points: Vec<Point> = summary
        .trend
        .iter()
        .map(|t| Point {
            label: t.day.to_string(),
            value: t.compliant_pct,
        })
        .collect();
    view! {
        <div class="stat-grid">
            <section class="card stat">
                <h2 class="stat-label">"Organisation compliance"</h2>
                <p class="stat-value" data-testid="compliance-pct">{format!("{:.1} %", summary.compliant_pct)}</p>
                <p class="muted">{format!("of {} assessed tenants", summary.assessed_tenants)}</p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"In grace"</h2>
                <p class="stat-value" data-testid="in-grace-count">{in_grace}</p>
                <p class="muted">"past end of life, inside grace"</p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"End of life"</h2>
                <p class="stat-value" data-testid="eol-count">{eol}</p>
                <p class="muted">"past grace: upgrade now"</p>
            </section>
            <section class="card stat">
                <h2 class="stat-label">"Endpoints compliant"</h2>
                <p class="stat-value">{format!("{:.1} %", summary.endpoints_compliant_pct)}</p>
                <p class="muted">{format!("of {} reporting endpoints", summary.endpoints_total)}</p>
            </section>
        </div>
        <p class="muted">
            {summary.last_assessed.map_or("Not assessed yet.".to_owned(), |at| format!("Last assessed {} UTC. Assessment runs hourly and after every release, policy or version change.", at.format("%Y-%m-%d %H:%M")))}
            {can_assess.then(|| view! {
                " "
                <ActionForm action=assess attr:class="inline-form no-print">
                    <button type="submit" class="btn btn-sm btn-secondary" disabled=move || assess.pending().get()>
                        {move || if assess.pending().get() { "Assessing…" } else { "Assess now" }}
                    </button>
                </ActionForm>
            })}
        </p>
        <div class="distribution">
            <section class="card">
                <h2 id="trend-heading">"Compliance trend (30 days)"</h2>
                {if points.is_empty() {
                    view! { <p class="muted">"The trend starts with the first daily snapshot."</p> }.into_any()
                } else {
                    view! { <PercentLineChart labelled_by="trend-heading" description=format!("Share of compliant tenants per day over {} days", points.len()) points/> }.into_any()
                }}
            </section>
            <section class="card">
                <h2 id="status-heading">"Tenants by status"</h2>
                <HorizontalBarChart labelled_by="status-heading" description=format!("{} tenants by their worst product status", summary.assessed_tenants) bars/>
            </section>
        </div>
        <section class="card">
            <div class="page-header-row">
                <h2>"Version distribution and update adoption"</h2>
                <a class="btn btn-secondary btn-sm no-print" href="/compliance/distribution.csv" rel="external" download data-testid="export-distribution">"Export CSV"</a>
            </div>
            {if summary.distribution.is_empty() {
                view! { <p class="muted">"No tenant runs a catalog version yet."</p> }.into_any()
            } else {
                view! {
                    <div class="distribution">
                        {summary.distribution.into_iter().map(|d| {
                            let heading = format!("dist-{}", d.product_key);
                            let bars: Vec<Bar> = d.versions.iter().take(8).map(|v| Bar {
                                label: v.version.clone(),
                                value: v.tenants,
                                tone_class: if d.latest.as_deref() == Some(v.version.as_str()) { "tone-success" } else { "tone-info" },
                            }).collect();
                            view! {
                                <div>
                                    <h3 id=heading.clone()>{d.product_name.clone()}</h3>
                                    <p class="muted">{format!("Latest {} · {:.1} % of tenants on it", d.latest.clone().unwrap_or_else(|| "—".into()), d.on_latest_pct)}</p>
                                    <HorizontalBarChart labelled_by=heading description=format!("Tenants per version of {}", d.product_name) bars/>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
        </section>
        <section class="card table-card">
            <h2>"Needs attention"</h2>
            {if summary.attention.is_empty() {
                view! { <p class="muted" data-testid="attention-empty">"No tenant is in grace, non-compliant or past end of life."</p> }.into_any()
            } else {
                view! { <ReportTable rows=summary.attention/> }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn ReportTable(rows: Vec<ComplianceRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="compliance-table">
                <thead><tr>
                    <th scope="col">"Tenant"</th><th scope="col">"Product"</th><th scope="col">"Running"</th>
                    <th scope="col">"Status"</th><th scope="col">"Why"</th><th scope="col">"Decided by"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td><a href=format!("/tenants/{}/versions", r.tenant_slug)>{r.tenant_name.clone()}</a><br/><span class="muted">{r.tenant_slug.clone()}</span></td>
                            <td>{r.product_key.clone()}</td>
                            <td><code>{r.running_version.clone()}</code></td>
                            <td class="nowrap"><ComplianceBadge status=r.status days_left=r.days_left/></td>
                            <td>{r.detail.clone()}</td>
                            <td>{format!("{} policy", r.policy_level.as_str())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
