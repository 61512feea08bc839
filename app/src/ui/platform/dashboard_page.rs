use leptos::prelude::*;

use crate::api::platform::dashboard::AuditEventRow;
use crate::api::platform::dashboard::DashboardData;
use crate::api::platform::dashboard::dashboard_summary;
use crate::error::AppError;
use crate::ui::components::badge::OutcomeBadge;
use crate::ui::components::chart::{Bar, HorizontalBarChart};
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| dashboard_summary());
    view! {
        <PageHeader title="Dashboard" description="Your tenants, users and the latest activity at a glance."/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(summary) => view! { <DashboardPanels summary/> }.into_any(),
                    Err(AppError::Unauthenticated) => view! {
                        <Alert tone="danger">"Your session has ended. " <a href="/login">"Sign in again"</a></Alert>
                    }.into_any(),
                    Err(error) => view! {
                        <Alert tone="danger">{error.to_string()} " " <a href="/">"Retry"</a></Alert>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardPanels(summary: DashboardData) -> impl IntoView {
    view! {
        <div class="stat-grid">
            {summary.tenants_total.map(|total| view! {
                <section class="card stat">
                    <h2 class="stat-label">"Tenants"</h2>
                    <p class="stat-value" data-testid="tenants-total">{total}</p>
                </section>
            })}
            {summary.users_total.map(|total| view! {
                <section class="card stat">
                    <h2 class="stat-label">"Users"</h2>
                    <p class="stat-value" data-testid="users-total">{total}</p>
                </section>
            })}
        </div>
        {summary.tenants_by_state.map(|states| {
            let total: u64 = states.iter().map(|s| s.count).sum();
            view! {
                <section class="card">
                    <h2 id="tenants-by-state">"Tenants by lifecycle state"</h2>
                    {if total == 0 {
                        view! {
                            <div class="empty-state">
                                <p><strong>"No tenants yet."</strong></p>
                                <p class="muted">"Tenants appear here once they are onboarded; the onboarding wizard arrives with the tenant registry."</p>
                            </div>
                        }.into_any()
                    } else {
                        let bars = states
                            .iter()
                            .map(|s| Bar { label: s.state.label().to_owned(), value: s.count, tone_class: s.state.tone().css_class() })
                            .collect::<Vec<_>>();
                        view! {
                            <HorizontalBarChart
                                labelled_by="tenants-by-state"
                                description=format!("{total} tenants across {} lifecycle states", states.iter().filter(|s| s.count > 0).count())
                                bars
                            />
                        }.into_any()
                    }}
                </section>
            }
        })}
        {summary.recent_audit.map(|events| view! { <RecentAudit events/> })}
    }
}

#[component]
fn RecentAudit(events: Vec<AuditEventRow>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Recent activity"</h2>
            {if events.is_empty() {
                view! { <p class="empty-state muted">"Nothing has happened yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="recent-audit">
                            <caption class="visually-hidden">"The ten most recent audit events"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"When (UTC)"</th>
                                    <th scope="col">"Actor"</th>
                                    <th scope="col">"Action"</th>
                                    <th scope="col">"Target"</th>
                                    <th scope="col">"Outcome"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {events.into_iter().map(|e| view! {
                                    <tr>
                                        <td class="nowrap"><time datetime=e.occurred_at.to_rfc3339()>{e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()}</time></td>
                                        <td>{e.actor}</td>
                                        <td><code>{e.action}</code></td>
                                        <td class="truncate">{e.target}</td>
                                        <td><OutcomeBadge outcome=e.outcome/></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
