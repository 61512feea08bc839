//! The job queue: how much work waits, runs and failed, and the jobs
//! themselves with Retry and Cancel for the people who run changes.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::changes::{JobCounts, JobRow, JobsPage, ManageJob, job_queue};
use crate::error::AppError;
use crate::ui::components::badge::{WorkBadge, WorkKind, humanize};
use crate::ui::components::form::{FilterSelect, action_error};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::pager::Pager;
use crate::ui::components::time::utc;
use crate::ui::components::url::href_with_query;

const JOB_STATUSES: [&str; 6] = [
    "queued",
    "running",
    "retrying",
    "succeeded",
    "dead",
    "cancelled",
];

#[component]
pub fn JobsPage() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| query.read().get("status").filter(|s| !s.is_empty()));
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u64>().ok()));
    let manage = ServerAction::<ManageJob>::new();
    let data = Resource::new(
        move || (status.get(), page.get(), manage.version().get()),
        |(status, page, _)| job_queue(status, page),
    );
    let error = action_error(manage);
    view! {
        <PageHeader title="Jobs" description="The durable queue that executes change requests: what is due, running, retrying and dead."/>
        {move || error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading jobs…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view_data) => view! { <QueueView data=view_data status=status.get_untracked() manage/> }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <Alert tone="danger">"The job queue spans every tenant: it needs platform-wide read access."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/jobs">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn Counters(counts: JobCounts) -> impl IntoView {
    let cards = [
        ("Due", counts.due, "queued, waiting for a worker"),
        ("Waiting", counts.waiting, "scheduled or backing off"),
        ("Running", counts.running, "leased by a worker"),
        ("Retrying", counts.retrying, "failed, will run again"),
        ("Dead", counts.dead, "out of attempts"),
        ("Succeeded", counts.succeeded, "done"),
        ("Cancelled", counts.cancelled, "stopped by a person"),
    ];
    view! {
        <div class="stat-grid stat-grid-compact" data-testid="job-counters">
            {cards.into_iter().map(|(label, value, note)| view! {
                <section class="card stat" data-counter=label.to_lowercase()>
                    <h2 class="stat-label">{label}</h2>
                    <p class="stat-value">{value}</p>
                    <p class="muted">{note}</p>
                </section>
            }).collect_view()}
        </div>
    }
}

#[component]
fn QueueView(
    data: JobsPage,
    status: Option<String>,
    manage: ServerAction<ManageJob>,
) -> impl IntoView {
    let can_manage = data.may.manage;
    let filter = status.clone();
    view! {
        <Counters counts=data.counts.clone()/>
        <section class="card table-card" aria-labelledby="jobs-heading">
            <h2 id="jobs-heading">"Jobs"</h2>
            <form class="filter-bar filter-bar-compact no-print" method="get" action="/jobs" role="search" aria-label="Filter jobs">
                <FilterSelect name="status" label="Status" options=JOB_STATUSES.iter().map(|s| ((*s).to_owned(), humanize(s))).collect() selected=status.clone()/>
                <button type="submit" class="btn btn-sm">"Filter"</button>
                {status.is_some().then(|| view! { <a class="btn btn-sm btn-secondary" href="/jobs">"Clear all filters"</a> })}
            </form>
            {if data.rows.is_empty() {
                view! {
                    <div class="empty-state" data-testid="jobs-empty">
                        <p><strong>{if status.is_some() { "No job has this status." } else { "No jobs yet." }}</strong></p>
                        <p class="muted">"Every change request that runs becomes a job here."</p>
                    </div>
                }.into_any()
            } else {
                view! { <JobTable rows=data.rows.clone() can_manage manage/> }.into_any()
            }}
            <Pager total=data.total page=data.page per_page=data.per_page href=move |p| {
                href_with_query("/jobs", &[("status", filter.clone()), ("page", Some(p.to_string()))])
            }/>
        </section>
    }
    .into_any()
}

#[component]
fn JobTable(rows: Vec<JobRow>, can_manage: bool, manage: ServerAction<ManageJob>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="jobs-table">
                <thead><tr>
                    <th scope="col">"Kind"</th><th scope="col">"Key"</th><th scope="col">"Status"</th>
                    <th scope="col" class="num">"Attempts"</th><th scope="col">"Run at"</th><th scope="col">"Lease owner"</th>
                    <th scope="col">"Last error"</th>
                    {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|job| {
                        let retry = job.status.can_retry();
                        let cancel = job.status.can_cancel();
                        view! {
                            <tr data-job=job.id.to_string()>
                                <td><code>{job.kind.clone()}</code></td>
                                <td class="truncate" title=job.key.clone()><code>{job.key.clone()}</code></td>
                                <td><WorkBadge kind=WorkKind::Job status=job.status.as_str()/></td>
                                <td class="num">{format!("{} / {}", job.attempts, job.max_attempts)}</td>
                                <td class="nowrap">{utc(&job.run_at)}</td>
                                <td class="truncate">{job.lease_owner.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="error-text">{job.last_error.clone().unwrap_or_default()}</td>
                                {can_manage.then(|| view! {
                                    <td class="nowrap">
                                        {(retry || cancel).then(|| view! {
                                            <ActionForm action=manage attr:class="inline-form">
                                                <input type="hidden" name="id" value=job.id.to_string()/>
                                                {retry.then(|| view! { <button type="submit" name="action" value="retry" class="btn btn-sm btn-secondary">"Retry"</button> })}
                                                " "
                                                {cancel.then(|| view! { <button type="submit" name="action" value="cancel" class="btn btn-sm">"Cancel"</button> })}
                                            </ActionForm>
                                        })}
                                    </td>
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
