//! Approve, or reject with a comment: the one form the change page and the
//! approvals inbox share.

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::changes::DecideChange;
use crate::error::AppError;

/// The comment box and the two decision buttons for change `id`. `error` is
/// the latest refusal for this change (its comment error shows on the box).
#[component]
pub fn DecideForm(
    action: ServerAction<DecideChange>,
    id: Uuid,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let comment_id = format!("comment-{id}");
    let error_id = format!("comment-err-{id}");
    let comment_error = move || {
        error
            .get()
            .and_then(|e| e.field_errors().for_field("comment").map(str::to_owned))
    };
    let other_error = move || {
        error
            .get()
            .filter(|e| e.field_errors().for_field("comment").is_none())
            .map(|e| e.to_string())
    };
    let described = error_id.clone();
    view! {
        <ActionForm action attr:class="decide-form" attr:data-testid="decide-form">
            <input type="hidden" name="id" value=id.to_string()/>
            <div class="field" class:field-invalid=move || comment_error().is_some()>
                <label for=comment_id.clone()>"Comment" <span class="muted">" (needed to reject)"</span></label>
                {move || comment_error().map(|m| view! {
                    <p class="field-error" id=error_id.clone()><span aria-hidden="true">"⚠ "</span>{m}</p>
                })}
                <textarea
                    id=comment_id.clone()
                    name="comment"
                    rows="2"
                    aria-invalid=move || comment_error().is_some().then_some("true")
                    aria-describedby=move || comment_error().is_some().then(|| described.clone())
                ></textarea>
            </div>
            {move || other_error().map(|m| view! { <p class="field-error" role="alert" data-testid="decide-error">{m}</p> })}
            <div class="form-actions">
                <button type="submit" name="decision" value="approve" class="btn btn-primary" disabled=move || action.pending().get()>"Approve"</button>
                <button type="submit" name="decision" value="reject" class="btn btn-danger" disabled=move || action.pending().get()>"Reject"</button>
            </div>
        </ActionForm>
    }
}
