use leptos::prelude::*;

/// "21–40 of 312 · Previous · Page 2 of 16 · Next", with links built by `href`.
#[component]
pub fn Pager(
    total: u64,
    page: u64,
    per_page: u64,
    href: impl Fn(u64) -> String + 'static,
) -> impl IntoView {
    let last_page = total.div_ceil(per_page.max(1)).max(1);
    let first = if total == 0 {
        0
    } else {
        (page - 1) * per_page + 1
    };
    let last = (page * per_page).min(total);
    view! {
        <nav class="pager" aria-label="Pagination">
            <span class="muted" data-testid="pager-range">{format!("{first}–{last} of {total}")}</span>
            <span class="pager-links">
                {(page > 1).then(|| view! { <a class="btn btn-sm" href=href(page - 1)>"Previous"</a> })}
                <span class="muted">{format!("Page {page} of {last_page}")}</span>
                {(page < last_page).then(|| view! { <a class="btn btn-sm" href=href(page + 1)>"Next"</a> })}
            </span>
        </nav>
    }
}
