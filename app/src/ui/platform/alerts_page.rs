//! Alerts: what needs a person now (open), what someone has taken on
//! (acknowledged) and the history (resolved); each with its runbook. Below,
//! the built-in rules with their thresholds, for the vendor to tune.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::platform::alerts::{
    AcknowledgeAlert, AlertRow, AlertRuleView, AlertsView, SaveAlertRule, alert_rules, list_alerts,
};
use crate::domain::platform::alerts::Severity;
use crate::error::AppError;
use crate::ui::components::form::action_error;
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::pager::Pager;
use crate::ui::components::time::utc;
use crate::ui::components::url::href_with_query;

const TABS: [(&str, &str); 3] = [
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
];

#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| {
        query
            .read()
            .get("status")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "open".to_owned())
    });
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u64>().ok()));
    let acknowledge = ServerAction::<AcknowledgeAlert>::new();
    let save_rule = ServerAction::<SaveAlertRule>::new();
    let data = Resource::new(
        move || (status.get(), page.get(), acknowledge.version().get()),
        |(status, page, _)| list_alerts(Some(status), page),
    );
    let rules = Resource::new(move || save_rule.version().get(), |_| alert_rules());
    let ack_error = action_error(acknowledge);
    let rule_error = action_error(save_rule);
    view! {
        <PageHeader title="Alerts" description="Built-in rules watch tenants, changes, rollouts, switches, webhooks and the job queue. An alert opens once, stays until its condition stops, and says who took it on."/>
        {move || ack_error.get().map(|e| view! { <Alert tone="danger"><span data-testid="alert-error">{e.to_string()}</span></Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading alerts…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view_data) => view! { <AlertList data=view_data status=status.get_untracked() acknowledge/> }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <Alert tone="danger">"Alerts span every tenant: they need platform-wide read access."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/alerts">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading rules…"</p> }>
            {move || Suspend::new(async move {
                match (rules.await, data.await) {
                    (Ok(rules), Ok(view_data)) => view! {
                        {move || rule_error.get().map(|e| view! { <Alert tone="danger"><span data-testid="rule-error">{e.to_string()}</span></Alert> })}
                        <RuleTable rules may_configure=view_data.may_configure save_rule/>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

fn severity_badge(severity: Severity) -> impl IntoView {
    let (class, glyph) = match severity {
        Severity::Critical => ("tone-danger", "▲"),
        Severity::Warning => ("tone-attention", "!"),
    };
    view! {
        <span class=format!("badge {class}")>
            <span class="badge-glyph" aria-hidden="true">{glyph}</span>
            {severity.label()}
        </span>
    }
}

#[component]
fn AlertList(
    data: AlertsView,
    status: String,
    acknowledge: ServerAction<AcknowledgeAlert>,
) -> impl IntoView {
    let counts = [data.open, data.acknowledged, data.resolved];
    let filter = status.clone();
    let empty = match status.as_str() {
        "acknowledged" => "Nobody is working on an alert right now.",
        "resolved" => "No alert has been resolved yet.",
        _ => "Nothing needs attention: no alert is open.",
    };
    view! {
        <nav class="tabs" aria-label="Alerts by status">
            {TABS.into_iter().zip(counts).map(|((key, label), n)| view! {
                <a href=format!("/alerts?status={key}") aria-current=(key == status).then_some("page") data-tab=key>
                    {label} " " <span class="count-chip">{n}</span>
                </a>
            }).collect_view()}
        </nav>
        <section class="card table-card" aria-label="Alerts">
            {if data.rows.is_empty() {
                view! {
                    <div class="empty-state" data-testid="alerts-empty">
                        <p><strong>{empty}</strong></p>
                        <p class="muted">"Rules are evaluated every half minute; see the rules below."</p>
                    </div>
                }.into_any()
            } else {
                view! { <AlertTable rows=data.rows.clone() may_acknowledge=data.may_acknowledge acknowledge/> }.into_any()
            }}
            <Pager total=data.total page=data.page per_page=data.per_page href=move |p| {
                href_with_query("/alerts", &[("status", Some(filter.clone())), ("page", Some(p.to_string()))])
            }/>
        </section>
    }
    .into_any()
}

#[component]
fn AlertTable(
    rows: Vec<AlertRow>,
    may_acknowledge: bool,
    acknowledge: ServerAction<AcknowledgeAlert>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="alerts-table">
                <thead><tr>
                    <th scope="col">"Severity"</th><th scope="col">"Alert"</th><th scope="col">"Subject"</th>
                    <th scope="col">"Opened"</th><th scope="col">"Taken on"</th><th scope="col">"Runbook"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|a| {
                        let open = a.status == "open";
                        let taken = match (&a.acknowledged_by, a.acknowledged_at) {
                            (Some(who), Some(at)) => format!("{who}, {}", utc(&at)),
                            _ => "—".to_owned(),
                        };
                        view! {
                            <tr data-alert=a.id.to_string() data-rule=a.rule.as_str()>
                                <td>{severity_badge(a.severity)}</td>
                                <td>
                                    <strong>{a.title.clone()}</strong>
                                    <div class="muted small">{a.summary.clone()}</div>
                                    {a.ack_comment.clone().map(|c| view! { <div class="small" data-testid="ack-comment">"“" {c} "”"</div> })}
                                </td>
                                <td class="nowrap"><a href=a.link.clone()>{a.subject.clone()}</a></td>
                                <td class="nowrap">{utc(&a.opened_at)}
                                    {a.resolved_at.map(|r| view! { <div class="muted small">"resolved " {utc(&r)}</div> })}
                                </td>
                                <td class="small">{taken}</td>
                                <td><a href=format!("/runbooks/{}", a.rule.as_str()) title=a.runbook.clone()>"Runbook"</a></td>
                                <td>
                                    {(open && may_acknowledge).then(|| view! {
                                        <ActionForm action=acknowledge attr:class="inline-form ack-form">
                                            <input type="hidden" name="id" value=a.id.to_string()/>
                                            <label class="visually-hidden" for=format!("ack-{}", a.id)>"Comment"</label>
                                            <input id=format!("ack-{}", a.id) type="text" name="comment" maxlength="1000" placeholder="Comment (optional)" class="input-sm"/>
                                            <button type="submit" class="btn btn-sm">"Acknowledge"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn RuleTable(
    rules: Vec<AlertRuleView>,
    may_configure: bool,
    save_rule: ServerAction<SaveAlertRule>,
) -> impl IntoView {
    view! {
        <section class="card table-card" aria-labelledby="rules-heading">
            <h2 id="rules-heading">"Rules"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="alert-rules">
                    <thead><tr>
                        <th scope="col">"Rule"</th><th scope="col">"Severity"</th><th scope="col">"Fires when"</th>
                        <th scope="col">"On"</th><th scope="col">"Threshold"</th>
                        {may_configure.then(|| view! { <th scope="col"><span class="visually-hidden">"Save"</span></th> })}
                    </tr></thead>
                    <tbody>
                        {rules.into_iter().map(|r| {
                            let form_id = format!("rule-{}", r.rule.as_str());
                            let threshold = r.threshold.map(|n| n.to_string()).unwrap_or_default();
                            let unit = r.threshold_unit.clone().unwrap_or_default();
                            view! {
                                <tr data-rule=r.rule.as_str()>
                                    <td><strong>{r.title.clone()}</strong></td>
                                    <td>{severity_badge(r.severity)}</td>
                                    <td class="small">{r.description.clone()}</td>
                                    {if may_configure {
                                        view! {
                                            <td><input type="checkbox" name="enabled" form=form_id.clone() checked=r.enabled aria-label=format!("{} on", r.title)/></td>
                                            <td>{r.threshold_unit.is_some().then(|| view! {
                                                <input type="number" min="1" max="10000" name="threshold" form=form_id.clone() value=threshold.clone() class="input-sm" aria-label=unit.clone()/>
                                                " " <span class="muted small">{unit.clone()}</span>
                                            })}</td>
                                            <td>
                                                <ActionForm action=save_rule attr:id=form_id.clone() attr:class="inline-form">
                                                    <input type="hidden" name="rule" value=r.rule.as_str()/>
                                                    <button type="submit" class="btn btn-sm btn-secondary">"Save"</button>
                                                </ActionForm>
                                            </td>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <td>{if r.enabled { "Yes" } else { "No" }}</td>
                                            <td>{r.threshold.map(|n| format!("{n} {unit}")).unwrap_or_else(|| "—".into())}</td>
                                        }.into_any()
                                    }}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
