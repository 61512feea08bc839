//! Blue-green edge deployments: the fleet view and one deployment's control
//! panel.

pub mod deployment_page;
pub mod fleet_page;

use leptos::prelude::*;

use crate::api::deployments::SwitchSummary;

/// "Step 2 of 3 (50 %)", or the phase before traffic moves.
pub fn switch_step_text(s: &SwitchSummary) -> String {
    match usize::try_from(s.step_index) {
        Ok(i) if i < s.steps.len() => {
            format!("step {} of {} ({} %)", i + 1, s.steps.len(), s.steps[i])
        }
        _ => s.status.label().to_lowercase(),
    }
}

/// The traffic split as one bar: blue's share, then green's.
#[component]
pub fn SplitBar(blue: i32, green: i32, #[prop(optional)] compact: bool) -> impl IntoView {
    let total = (blue + green).max(1);
    let blue_percent = blue * 100 / total;
    let green_percent = 100 - blue_percent;
    let label = format!("Traffic: blue {blue_percent} %, green {green_percent} %");
    view! {
        <div class=if compact { "split split-compact" } else { "split" } role="img" aria-label=label.clone() title=label data-testid="split" data-green=green_percent>
            <span class="split-part slot-blue" style=format!("width: {blue_percent}%")>
                {(!compact && blue_percent >= 12).then(|| format!("Blue {blue_percent} %"))}
            </span>
            <span class="split-part slot-green" style=format!("width: {green_percent}%")>
                {(!compact && green_percent >= 12).then(|| format!("Green {green_percent} %"))}
            </span>
        </div>
        {compact.then(|| view! { <span class="muted cell-note">{format!("{blue_percent} / {green_percent}")}</span> })}
    }
}
