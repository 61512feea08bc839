//! The approvals inbox: change requests awaiting a decision, each with
//! Approve and Reject (with a comment) inline.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::changes::{
    ChangePage, ChangeQuery, ChangeRow, DecideChange, DecideDelayRequest, change_requests,
    pending_delay_requests,
};
use crate::domain::changes::change::ChangeStatus;
use crate::error::AppError;
use crate::ui::changes::decide_form::DecideForm;
use crate::ui::changes::delay_requests::DelayRequestList;
use crate::ui::components::form::action_error;
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::pager::Pager;
use crate::ui::components::time::utc;
use crate::ui::components::url::href_with_query;
use crate::ui::layout::{CurrentUser, refresh_approval_count};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let query_map = use_query_map();
    let page = Memo::new(move |_| {
        query_map
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
    });
    let decide = ServerAction::<DecideChange>::new();
    let list = Resource::new(
        move || (page.get(), decide.version().get()),
        |(page, _)| {
            change_requests(ChangeQuery {
                status: Some(ChangeStatus::PendingApproval.as_str().into()),
                page,
                ..Default::default()
            })
        },
    );
    // Which change the latest decision was about, so its refusal shows there.
    let last_decided = RwSignal::new(None::<Uuid>);
    Effect::new(move |_| {
        if let Some(input) = decide.input().get() {
            last_decided.set(Some(input.id));
        }
    });
    let decide_delay = ServerAction::<DecideDelayRequest>::new();
    let delays = Resource::new(
        move || decide_delay.version().get(),
        |_| pending_delay_requests(),
    );
    Effect::new(move |_| {
        let decided = decide.value().get().is_some_and(|r| r.is_ok());
        let delay_decided = decide_delay.value().get().is_some_and(|r| r.is_ok());
        if decided || delay_decided {
            refresh_approval_count();
        }
    });
    let error = action_error(decide);
    // Without JavaScript the refusal comes back in the URL, for no row in particular.
    let unplaced_error = move || error.get().filter(|_| last_decided.get().is_none());
    let me = use_context::<CurrentUser>();
    view! {
        <PageHeader title="Approvals" description="Change requests waiting for a decision. Approved changes start in the tenant's next maintenance window."/>
        {move || decide.value().get().and_then(|r| r.ok()).map(|_| view! {
            <Alert tone="success"><span data-testid="decision-recorded">"Decision recorded."</span></Alert>
        })}
        {move || unplaced_error().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading approvals…"</p> }>
            {move || Suspend::new(async move {
                let my_email = match me {
                    Some(user) => user.await.ok().flatten().map(|u| u.email),
                    None => None,
                };
                match list.await {
                    Ok(page) => view! { <ApprovalList page my_email decide error last_decided/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/approvals">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match delays.await {
                    Ok(page) if page.view.is_empty() => ().into_any(),
                    Ok(page) => view! {
                        <section class="card" aria-labelledby="delays-heading">
                            <h2 id="delays-heading">{format!("{} delay request{} waiting", page.view.len(), if page.view.len() == 1 { "" } else { "s" })}</h2>
                            <p class="muted">"Tenants asking to postpone a scheduled change beyond their policy's limit. Approving moves the change into the tenant's first window after the delay."</p>
                            <DelayRequestList rows=page.view decidable=page.may action=decide_delay show_change=true/>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn ApprovalList(
    page: ChangePage,
    my_email: Option<String>,
    decide: ServerAction<DecideChange>,
    error: Memo<Option<AppError>>,
    last_decided: RwSignal<Option<Uuid>>,
) -> impl IntoView {
    if page.rows.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="approvals-empty">
                <p><strong>"No change request awaits your approval"</strong></p>
                <p class="muted">"Upgrades and patches of tenants whose update policy asks for an approval arrive here."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card table-card" aria-labelledby="approvals-heading">
            <h2 id="approvals-heading">{format!("{} waiting", page.total)}</h2>
            <ul class="approval-list" data-testid="approvals">
                {page.rows.into_iter().map(|row| {
                    let mine = my_email.as_deref() == Some(row.requester.as_str());
                    let id = row.id;
                    let row_error = Signal::derive(move || error.get().filter(|_| last_decided.get() == Some(id)));
                    view! { <ApprovalItem row mine decide error=row_error/> }
                }).collect_view()}
            </ul>
            <Pager total=page.total page=page.page per_page=page.per_page href=|p| href_with_query("/approvals", &[("page", Some(p.to_string()))])/>
        </section>
    }
    .into_any()
}

#[component]
fn ApprovalItem(
    row: ChangeRow,
    mine: bool,
    decide: ServerAction<DecideChange>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let version = row
        .target_version
        .clone()
        .map(|v| format!("{} → {v}", row.product_key.clone().unwrap_or_default()));
    view! {
        <li class="approval" data-change=row.id.to_string() data-tenant=row.tenant_slug.clone()>
            <div class="approval-summary">
                <h3><a href=format!("/changes/{}", row.id)>{row.title.clone()}</a></h3>
                <p class="object-meta">
                    <span class="chip">{row.kind.label()}</span>
                    {version.map(|v| view! { <span class="chip">{v}</span> })}
                    <a href=format!("/tenants/{}", row.tenant_slug)>{row.tenant_name.clone()}</a>
                </p>
                <p class="muted">"Requested by " {row.requester.clone()} " · " {utc(&row.created_at)}</p>
            </div>
            {if mine {
                view! { <p class="action-reason muted">"You requested this change; someone else must decide it."</p> }.into_any()
            } else {
                view! { <DecideForm action=decide id=row.id error/> }.into_any()
            }}
        </li>
    }
}
