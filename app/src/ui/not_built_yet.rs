use leptos::prelude::*;

use crate::ui::components::page::PageHeader;

/// A navigation entry whose screen is not built yet says so plainly — no fake data.
#[component]
pub fn NotBuiltYet(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <PageHeader title=title/>
        <section class="empty-state card" data-testid="not-built-yet">
            <h2>"Not built yet"</h2>
            <p>{what} " will appear here. This screen is part of the roadmap and has no data yet."</p>
            <a class="btn btn-secondary" href="/">"Back to the dashboard"</a>
        </section>
    }
}
