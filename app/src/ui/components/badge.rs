use leptos::prelude::*;

use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::tenants::lifecycle::LifecycleState;

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

/// A compliance status as a badge (with the days of grace left, if any).
#[component]
pub fn ComplianceBadge(
    status: ComplianceKind,
    #[prop(default = None)] days_left: Option<i64>,
) -> impl IntoView {
    let class = compliance_tone(status);
    let glyph = match status {
        ComplianceKind::Compliant => "✓",
        ComplianceKind::Outdated => "↑",
        ComplianceKind::InGrace => "◐",
        ComplianceKind::NonCompliant => "⚠",
        ComplianceKind::Eol => "✕",
    };
    let label = status.label();
    let suffix = days_left
        .map(|d| format!(" · {d} d left"))
        .unwrap_or_default();
    view! {
        <span class=format!("badge {class}") data-status=status.as_str()>
            <span class="badge-glyph" aria-hidden="true">{glyph}</span>
            {label}{suffix}
        </span>
    }
}

/// The tone class of a compliance status (badges and chart bars).
pub fn compliance_tone(status: ComplianceKind) -> &'static str {
    match status {
        ComplianceKind::Compliant => "tone-success",
        ComplianceKind::Outdated => "tone-info",
        ComplianceKind::InGrace => "tone-attention",
        ComplianceKind::NonCompliant => "tone-severe",
        ComplianceKind::Eol => "tone-danger",
    }
}

/// The kinds of work whose statuses the change screens show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkKind {
    Change,
    Rollout,
    /// A rollout's target or a change's step.
    Target,
    Job,
}

/// Tone class, glyph and label of a work status (UI.md §4: success → success,
/// waiting for a person → attention, failed → danger, running → info).
pub fn work_status_look(kind: WorkKind, status: &str) -> (&'static str, &'static str, String) {
    use crate::domain::changes::change::ChangeStatus;
    if kind == WorkKind::Change
        && let Some(parsed) = ChangeStatus::parse(status)
    {
        let glyph = match parsed {
            ChangeStatus::Draft => "◌",
            ChangeStatus::PendingApproval => "◷",
            ChangeStatus::Approved | ChangeStatus::Succeeded => "✓",
            ChangeStatus::Scheduled => "◔",
            ChangeStatus::Running => "↻",
            ChangeStatus::Failed => "✕",
            ChangeStatus::RolledBack => "↶",
            ChangeStatus::Cancelled => "⊘",
        };
        return (parsed.tone().css_class(), glyph, parsed.label().to_owned());
    }
    let (tone, glyph) = match status {
        "pending_approval" => ("tone-attention", "◷"),
        "scheduled" | "queued" => ("tone-neutral", "◔"),
        "pending" => ("tone-neutral", "•"),
        "running" => ("tone-info", "↻"),
        "retrying" => ("tone-attention", "↺"),
        "paused" => ("tone-attention", "‖"),
        "succeeded" => ("tone-success", "✓"),
        "failed" | "dead" => ("tone-danger", "✕"),
        "stopped" => ("tone-danger", "■"),
        "aborted" | "cancelled" | "skipped" => ("tone-neutral", "⊘"),
        // Blue-green switches, slots and health.
        "preparing" | "validating" | "shifting" | "taking_traffic" => ("tone-info", "↻"),
        "completed" | "live" | "healthy" => ("tone-success", "✓"),
        "rolled_back" => ("tone-attention", "↶"),
        "unhealthy" => ("tone-danger", "✕"),
        "standby" | "idle" | "unknown" => ("tone-neutral", "○"),
        _ => ("tone-neutral", "•"),
    };
    (tone, glyph, humanize(status))
}

/// `pending_approval` → "Pending approval".
pub fn humanize(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The status of a change, rollout, target, step or job as a badge.
#[component]
pub fn WorkBadge(kind: WorkKind, #[prop(into)] status: String) -> impl IntoView {
    let (tone, glyph, label) = work_status_look(kind, &status);
    view! {
        <span class=format!("badge {tone}") data-status=status>
            <span class="badge-glyph" aria-hidden="true">{glyph}</span>
            {label}
        </span>
    }
}
