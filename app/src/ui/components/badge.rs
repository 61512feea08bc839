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

/// A compliance status key as a badge (with the days of grace left, if any).
#[component]
pub fn ComplianceBadge(
    status: String,
    #[prop(default = None)] days_left: Option<i64>,
) -> impl IntoView {
    let (class, glyph) = match status.as_str() {
        "compliant" => ("tone-success", "✓"),
        "outdated" => ("tone-info", "↑"),
        "in_grace" => ("tone-attention", "◐"),
        "non_compliant" => ("tone-severe", "⚠"),
        "eol" => ("tone-danger", "✕"),
        _ => ("tone-neutral", "•"),
    };
    let label = crate::domain::compliance::status_label(&status);
    let suffix = days_left
        .map(|d| format!(" · {d} d left"))
        .unwrap_or_default();
    view! {
        <span class=format!("badge {class}") data-status=status.clone()>
            <span class="badge-glyph" aria-hidden="true">{glyph}</span>
            {label}{suffix}
        </span>
    }
}

/// The tone class of a compliance status (for chart bars).
pub fn compliance_tone(status: &str) -> &'static str {
    match status {
        "compliant" => "tone-success",
        "outdated" => "tone-info",
        "in_grace" => "tone-attention",
        "non_compliant" => "tone-severe",
        "eol" => "tone-danger",
        _ => "tone-neutral",
    }
}
