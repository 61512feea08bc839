use leptos::prelude::*;

use crate::domain::lifecycle::LifecycleState;

/// Icon + word + tone, never colour alone (UI.md §4).
#[component]
pub fn StateBadge(state: LifecycleState) -> impl IntoView {
    view! {
        <span class=format!("badge {}", state.tone().css_class())>
            <span class="badge-glyph" aria-hidden="true">{state.glyph()}</span>
            {state.label()}
        </span>
    }
}

#[component]
pub fn OutcomeBadge(outcome: String) -> impl IntoView {
    let (class, glyph, label) = match outcome.as_str() {
        "success" => ("tone-success", "✓", "Success"),
        "failure" => ("tone-danger", "✕", "Failure"),
        _ => ("tone-neutral", "•", "Unknown"),
    };
    view! {
        <span class=format!("badge {class}")>
            <span class="badge-glyph" aria-hidden="true">{glyph}</span>
            {label}
        </span>
    }
}
