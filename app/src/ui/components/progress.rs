//! Progress bars: one value (a change's progress) or stacked segments (a
//! rollout wave's succeeded, failed and running targets), each a
//! `role="progressbar"` with its numbers in words (UI.md §5).

use leptos::prelude::*;

/// The bar itself: a `role="progressbar"` track holding the segments, and
/// `text` (also its `aria-valuetext`) beside it.
#[component]
fn Track(label: String, now: u64, max: u64, text: String, children: Children) -> impl IntoView {
    view! {
        <span class="progress">
            <span
                class="progress-track"
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax=max
                aria-valuenow=now
                aria-valuetext=text.clone()
            >
                {children()}
            </span>
            <span class="progress-text">{text}</span>
        </span>
    }
}

/// A 0–100 % bar with the percentage beside it.
#[component]
pub fn ProgressBar(percent: i32, #[prop(into)] label: String) -> impl IntoView {
    let percent = percent.clamp(0, 100);
    view! {
        <Track label now=percent as u64 max=100 text=format!("{percent} %")>
            <span class="progress-segment tone-info" style=format!("width: {percent}%")></span>
        </Track>
    }
}

/// Usage against a quota: the bar filled to the share used (capped at
/// 100 %), coloured by how close it is, and "used of limit" beside it.
#[component]
pub fn UsageBar(
    used: u64,
    limit: u64,
    /// `tone-success`, `tone-attention` or `tone-danger`.
    tone: &'static str,
    #[prop(into)] label: String,
) -> impl IntoView {
    let percent = if limit == 0 {
        100
    } else {
        (used.saturating_mul(100) / limit).min(100)
    };
    view! {
        <Track label now=used.min(limit) max=limit text=format!("{used} of {limit}")>
            <span class=format!("progress-segment {tone}") style=format!("width: {percent}%")></span>
        </Track>
    }
}

/// Counts of targets in each state, for a stacked bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetCounts {
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub running: u64,
    /// What a target is, plural: "tenants" or "endpoints".
    pub unit: &'static str,
}

impl TargetCounts {
    pub fn finished(&self) -> u64 {
        self.succeeded + self.failed
    }

    /// "37 / 120 tenants · 3 failed · 2 running"
    pub fn summary(&self) -> String {
        let mut text = format!("{} / {} {}", self.finished(), self.total, self.unit);
        if self.failed > 0 {
            text.push_str(&format!(" · {} failed", self.failed));
        }
        if self.running > 0 {
            text.push_str(&format!(" · {} running", self.running));
        }
        text
    }
}

/// Succeeded, failed and running segments over the pending rest, the numbers
/// in words beside it (and in `aria-valuetext`); an optional marker at the
/// error threshold (percent of the total).
#[component]
pub fn StackedProgress(
    counts: TargetCounts,
    #[prop(into)] label: String,
    #[prop(optional)] threshold: Option<i32>,
) -> impl IntoView {
    let total = counts.total.max(1) as f64;
    let width = move |n: u64| format!("width: {:.2}%", n as f64 * 100.0 / total);
    view! {
        <Track label now=counts.finished() max=counts.total text=counts.summary()>
            <span class="progress-segment tone-success" style=width(counts.succeeded)></span>
            <span class="progress-segment tone-danger progress-hatched" style=width(counts.failed)></span>
            <span class="progress-segment tone-info progress-faint" style=width(counts.running)></span>
            {threshold.filter(|t| *t > 0 && *t < 100).map(|t| view! {
                <span class="progress-marker" style=format!("left: {t}%") title=format!("Error threshold {t} %")></span>
            })}
        </Track>
    }
}
