//! `/usage`: the organisation's metered usage in a month — each meter's
//! daily total over all tenants and the tenants that use most — with the
//! month's export (CSV, JSON) for a billing system.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::plans::usage_of_organisation;
use crate::ui::components::chart::DailyValueChart;
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn UsagePage() -> impl IntoView {
    let query = use_query_map();
    let month = Memo::new(move |_| query.read().get("month").unwrap_or_default());
    let data = Resource::new(move || month.get(), usage_of_organisation);
    view! {
        <PageHeader title="Usage" description="What every tenant used this month, per meter: API calls and active people counted by the portal, endpoints from the inventory, storage and custom meters reported by installations. Usage is published for billing; Tenantry is not a billing engine."/>
        <form class="month-picker" method="get" action="/usage">
            <label for="usage-month">"Month"</label>
            <input id="usage-month" name="month" type="month" value=move || month.get()/>
            <button type="submit" class="btn btn-secondary">"Show"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Adding up usage…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(usage) => {
                        let month = usage.month.clone();
                        view! {
                            <p>
                                "Export " {month.clone()} ": "
                                <a href=format!("/api/v1/usage/export?month={month}&format=csv") data-testid="org-usage-csv">"CSV"</a>" · "
                                <a href=format!("/api/v1/usage/export?month={month}&format=json")>"JSON"</a>
                            </p>
                            {if usage.daily.is_empty() {
                                view! { <section class="card"><p class="muted" data-testid="org-usage-empty">{format!("Nothing metered in {}.", usage.month)}</p></section> }.into_any()
                            } else {
                                view! {
                                    <div class="usage-grid" data-testid="org-usage-charts">
                                        {usage.daily.iter().map(|(meter, days)| {
                                            let heading = format!("org-usage-{}", meter.replace('.', "-"));
                                            view! {
                                                <section class="card">
                                                    <h2 id=heading.clone()>{meter.clone()}</h2>
                                                    <DailyValueChart labelled_by=heading.clone() description=format!("{meter}: all tenants together, per day of {}.", usage.month) days=days.clone() limit=None/>
                                                </section>
                                            }
                                        }).collect_view()}
                                    </div>
                                    <section class="card table-card">
                                        <h2>"Top tenants"</h2>
                                        <table class="table table-compact" data-testid="org-usage-top">
                                            <thead><tr><th scope="col">"Meter"</th><th scope="col">"Tenant"</th><th scope="col" class="num">"This month"</th></tr></thead>
                                            <tbody>
                                                {usage.top.iter().map(|t| view! {
                                                    <tr><td>{t.meter.clone()}</td><td><a href=format!("/tenants/{}/limits#usage", t.slug)>{t.slug.clone()}</a></td><td class="num">{format!("{}", t.value)}</td></tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                        <p class="muted">"Counters (API calls, active people, custom meters) are the month's sum; levels (storage, endpoints) the month's highest day."</p>
                                    </section>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}
