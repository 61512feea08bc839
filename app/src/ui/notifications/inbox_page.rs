//! The in-app inbox: end-of-life notices and, later, approvals and rollouts.

use leptos::prelude::*;

use crate::api::notifications::{MarkNotificationsRead, notification_inbox};
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn InboxPage() -> impl IntoView {
    let mark = ServerAction::<MarkNotificationsRead>::new();
    let items = Resource::new(move || mark.version().get(), |_| notification_inbox());
    view! {
        <div class="page-header-row">
            <PageHeader title="Notifications" description="Notices for you: versions reaching end of life on your tenants, and more."/>
            <ActionForm action=mark attr:class="inline-form">
                <button type="submit" class="btn btn-secondary">"Mark all read"</button>
            </ActionForm>
        </div>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading notifications…"</p> }>
            {move || Suspend::new(async move {
                match items.await {
                    Ok(items) if items.is_empty() => view! {
                        <section class="card empty-state"><p><strong>"No notifications."</strong></p>
                        <p class="muted">"End-of-life notices for your tenants arrive here 90, 30 and 7 days ahead and daily in the final week."</p></section>
                    }.into_any(),
                    Ok(items) => view! {
                        <section class="card">
                            <ul class="stack" data-testid="inbox">
                                {items.into_iter().map(|n| view! {
                                    <li class:muted=n.read>
                                        {(!n.read).then(|| view! { <span class="badge tone-info">"New"</span> " " })}
                                        <a href=n.link.clone()><strong>{n.title.clone()}</strong></a>
                                        <br/><span class="muted">{n.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}
