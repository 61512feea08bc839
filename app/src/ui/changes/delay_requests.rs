//! Requests to delay a change beyond its tenant's policy limit: the list the
//! change page and the approvals inbox share, with the platform approver's
//! approve / deny form on the ones the viewer may decide.

use leptos::prelude::*;

use crate::api::changes::{DecideDelayRequest, DelayRequestRow};
use crate::ui::components::form::action_error;
use crate::ui::components::time::utc;

/// The requests, newest first; `show_change` names the change on each (the inbox).
#[component]
pub fn DelayRequestList(
    rows: Vec<DelayRequestRow>,
    /// The ones the viewer may approve or deny.
    decidable: Vec<uuid::Uuid>,
    action: ServerAction<DecideDelayRequest>,
    show_change: bool,
) -> impl IntoView {
    let error = action_error(action);
    // One form per request shares the action, so its refusal shows once, above them.
    let refusal = move || {
        error.get().map(|e| {
            e.field_errors()
                .for_field("comment")
                .map(str::to_owned)
                .unwrap_or_else(|| e.to_string())
        })
    };
    view! {
        {move || refusal().map(|m| view! { <p class="field-error" role="alert" data-testid="delay-decide-error">{m}</p> })}
        <ul class="approval-list" data-testid="delay-requests">
            {rows.into_iter().map(|row| {
                let can_decide = decidable.contains(&row.id);
                view! { <DelayRequestItem row can_decide action show_change/> }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DelayRequestItem(
    row: DelayRequestRow,
    can_decide: bool,
    action: ServerAction<DecideDelayRequest>,
    show_change: bool,
) -> impl IntoView {
    let tone = row.status.tone();
    let id = row.id;
    view! {
        <li class="approval" data-delay-request=row.id.to_string() data-status=row.status.as_str()>
            <div class="approval-summary">
                {show_change.then(|| view! {
                    <h3><a href=format!("/changes/{}", row.change_id)>{row.change_title.clone()}</a></h3>
                })}
                <p class="object-meta">
                    <span class=format!("badge {tone}")>{row.status.label()}</span>
                    <span class="chip">{format!("{} more days", row.days)}</span>
                    {show_change.then(|| view! { <a href=format!("/tenants/{}", row.tenant_slug)>{row.tenant_name.clone()}</a> })}
                </p>
                <p class="decision-comment">{row.reason.clone()}</p>
                <p class="muted">"Asked by " {row.requester.clone()} " · " {utc(&row.requested_at)}</p>
                {row.decider.clone().map(|decider| view! {
                    <p class="muted">{row.status.label()} " by " {decider}
                        {row.decided_at.map(|at| view! { " · " {utc(&at)} })}
                        {row.comment.clone().map(|c| view! { ": " {c} })}
                    </p>
                })}
            </div>
            {can_decide.then(|| view! { <DelayDecideForm action id=id.to_string()/> })}
        </li>
    }
    .into_any()
}

#[component]
fn DelayDecideForm(action: ServerAction<DecideDelayRequest>, id: String) -> impl IntoView {
    let comment_id = format!("delay-comment-{id}");
    view! {
        <ActionForm action attr:class="decide-form" attr:data-testid="delay-decide-form">
            <input type="hidden" name="id" value=id.clone()/>
            <div class="field">
                <label for=comment_id.clone()>"Comment" <span class="muted">" (needed to deny)"</span></label>
                <textarea id=comment_id name="comment" rows="2"></textarea>
            </div>
            <div class="form-actions">
                <button type="submit" name="decision" value="approve" class="btn btn-primary" disabled=move || action.pending().get()>"Approve delay"</button>
                <button type="submit" name="decision" value="deny" class="btn btn-danger" disabled=move || action.pending().get()>"Deny"</button>
            </div>
        </ActionForm>
    }
    .into_any()
}
