//! `/health`: the organisation view. Every tenant the viewer reads, ranked by
//! trouble (broken, failing health, failed changes, out of compliance,
//! availability under target), with how many have each kind charted, and
//! filters by region and plan that work before hydration (a GET form).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::tenants::health::tenant_trouble;
use crate::domain::tenants::trouble::TroubleReason;
use crate::model::tenants::trouble::{TroublePage, TroubleQuery};
use crate::ui::components::badge::StateBadge;
use crate::ui::components::chart::{Bar, HorizontalBarChart};
use crate::ui::components::form::FilterSelect;
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::pager::Pager;
use crate::ui::components::url::href_with_query;
use crate::ui::tenants::overview_panel::percent_or_dash;

/// A tenant's trouble reasons as badges, worst first.
#[component]
pub fn TroubleChips(reasons: Vec<TroubleReason>) -> impl IntoView {
    view! {
        <span class="trouble-chips">
            {reasons.into_iter().map(|r| {
                let tone = if r.critical() { "tone-danger" } else { "tone-attention" };
                view! { <span class=format!("badge {tone}")>{r.text()}</span> }
            }).collect_view()}
        </span>
    }
    .into_any()
}

#[component]
pub fn TroublePageView() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        let text = |name: &str| p.get(name).filter(|v| !v.trim().is_empty());
        TroubleQuery {
            region: text("region"),
            plan: text("plan"),
            page: p.get("page").and_then(|v| v.parse().ok()),
            per_page: None,
        }
    });
    let data = Resource::new(move || query.get(), tenant_trouble);
    view! {
        <PageHeader title="Tenant health" description="Tenants ranked by trouble: broken first, then failing health baselines, failed or rolled-back changes, compliance that requires an upgrade, and availability under its target. Tenants in no trouble are counted, not listed."/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Ranking tenants…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <Ranking page query=query.get_untracked()/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/health">"Clear the filters"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn Ranking(page: TroublePage, query: TroubleQuery) -> impl IntoView {
    let counts = page.counts.clone();
    let bars = vec![
        Bar {
            label: "Broken".into(),
            value: counts.broken,
            tone_class: "tone-danger",
        },
        Bar {
            label: "Health failing".into(),
            value: counts.health_failing,
            tone_class: "tone-danger",
        },
        Bar {
            label: "Changes failed".into(),
            value: counts.changes_failed,
            tone_class: "tone-attention",
        },
        Bar {
            label: "Compliance".into(),
            value: counts.out_of_compliance,
            tone_class: "tone-severe",
        },
        Bar {
            label: "Availability".into(),
            value: counts.below_availability,
            tone_class: "tone-attention",
        },
    ];
    let options = |values: &[String]| -> Vec<(String, String)> {
        values.iter().map(|v| (v.clone(), v.clone())).collect()
    };
    let filters = (query.region.clone(), query.plan.clone());
    let href = move |n: u64| {
        href_with_query(
            "/health",
            &[
                ("region", filters.0.clone()),
                ("plan", filters.1.clone()),
                ("page", Some(n.to_string())),
            ],
        )
    };
    let offset = (page.page - 1) * page.per_page;
    view! {
        <form class="filter-bar filter-bar-compact card" method="get" action="/health" role="search" aria-label="Filter tenants by region and plan">
            <FilterSelect name="region" label="Region" options=options(&page.regions) selected=query.region.clone()/>
            <FilterSelect name="plan" label="Plan" options=options(&page.plans) selected=query.plan.clone()/>
            <button type="submit" class="btn btn-secondary">"Filter"</button>
            {(query.region.is_some() || query.plan.is_some()).then(|| view! { <a class="btn btn-sm" href="/health">"Clear"</a> })}
        </form>
        <div class="distribution">
            <section class="card stat">
                <h2 class="stat-label">"In trouble"</h2>
                <p class="stat-value" data-testid="trouble-count">{counts.in_trouble}</p>
                <p class="muted">{format!("of {} tenants running software", counts.considered)}</p>
            </section>
            <section class="card" aria-labelledby="trouble-kinds-heading">
                <h2 id="trouble-kinds-heading">"Tenants by kind of trouble"</h2>
                <HorizontalBarChart labelled_by="trouble-kinds-heading" description="How many tenants have each kind of trouble; one tenant may have several.".to_owned() bars/>
            </section>
        </div>
        <section class="card table-card">
            {if page.rows.is_empty() {
                view! {
                    <div class="empty-state" data-testid="trouble-empty">
                        <p><strong>"No tenant in trouble."</strong></p>
                        <p class="muted">{format!("Every tenant here is healthy, in compliance and at or above {} % availability.", page.availability_target)}</p>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="trouble-table">
                            <caption class="visually-hidden">"Tenants ranked by trouble"</caption>
                            <thead><tr>
                                <th scope="col" class="num">"#"</th>
                                <th scope="col">"Tenant"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Region"</th>
                                <th scope="col">"Plan"</th>
                                <th scope="col" class="num">"Availability"</th>
                                <th scope="col">"Trouble"</th>
                            </tr></thead>
                            <tbody>
                                {page.rows.iter().cloned().enumerate().map(|(i, row)| view! {
                                    <tr data-slug=row.slug.clone()>
                                        <td class="num">{offset + i as u64 + 1}</td>
                                        <td><a href=format!("/tenants/{}", row.slug)>{row.display_name}</a><br/><code class="muted">{row.slug.clone()}</code></td>
                                        <td><StateBadge state=row.state/></td>
                                        <td>{row.region}</td>
                                        <td>{row.plan_code}</td>
                                        <td class="num">{percent_or_dash(row.availability)}</td>
                                        <td><TroubleChips reasons=row.trouble.reasons/></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <Pager total=counts.in_trouble page=page.page per_page=page.per_page href/>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
