//! Server-rendered SVG charts: visible before hydration and in print.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub tone_class: &'static str,
}

/// Horizontal bars with direct labels and counts, plus the data as a table.
#[component]
pub fn HorizontalBarChart(
    labelled_by: &'static str,
    description: String,
    bars: Vec<Bar>,
) -> impl IntoView {
    let row_height = 28.0;
    let label_width = 120.0;
    let chart_width = 480.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let height = (bars.len() as f64 * row_height).max(row_height);
    let rows = bars.clone();
    view! {
        <svg
            class="chart"
            viewBox=format!("0 0 {} {}", label_width + chart_width + 60.0, height)
            role="img"
            aria-labelledby=labelled_by
        >
            <desc>{description}</desc>
            {bars
                .into_iter()
                .enumerate()
                .map(|(i, bar)| {
                    let y = i as f64 * row_height;
                    let width = (bar.value as f64 / max) * chart_width;
                    view! {
                        <g class=bar.tone_class>
                            <text class="chart-label" x="0" y=y + 18.0>{bar.label.clone()}</text>
                            <rect class="chart-bar" x=label_width y=y + 6.0 width=width.max(2.0) height="16" rx="3"></rect>
                            <text class="chart-value" x=label_width + width.max(2.0) + 8.0 y=y + 18.0>{bar.value}</text>
                        </g>
                    }
                })
                .collect_view()}
        </svg>
        <details class="chart-data">
            <summary>"Show data"</summary>
            <table class="table table-compact">
                <thead><tr><th scope="col">"Label"</th><th scope="col" class="num">"Count"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|b| view! { <tr><td>{b.label}</td><td class="num">{b.value}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}
