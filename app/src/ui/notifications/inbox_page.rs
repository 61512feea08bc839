//! The in-app inbox: every notification for the signed-in person, newest
//! first; new ones appear as the live feed's unread count changes.

use leptos::prelude::*;

use crate::api::notifications::{MarkNotificationsRead, notification_inbox};
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn InboxPage() -> impl IntoView {
    let mark = ServerAction::<MarkNotificationsRead>::new();
    let items = Resource::new(move || mark.version().get(), |_| notification_inbox());
    // A new notification raises the unread count: show it without a reload.
    let feed = crate::ui::components::live::use_live_feed();
    Effect::new(move |previous: Option<Option<u64>>| {
        let unread = feed.and_then(|f| f.unread.get());
        if previous.is_some_and(|before| before.is_some() && before != unread) {
            items.refetch();
        }
        unread
    });
    view! {
        <div class="page-header-row">
            <PageHeader title="Notifications" description="For you: updates available and their progress, approvals waiting, end-of-life notices, rollout problems and security alerts."/>
            <ActionForm action=mark attr:class="inline-form">
                <button type="submit" class="btn btn-secondary">"Mark all read"</button>
            </ActionForm>
        </div>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading notifications…"</p> }>
            {move || Suspend::new(async move {
                match items.await {
                    Ok(items) if items.is_empty() => view! {
                        <section class="card empty-state"><p><strong>"No notifications."</strong></p>
                        <p class="muted">"New releases, update progress, approvals waiting for you, end-of-life notices and security alerts arrive here. Choose what you hear about in Settings → Notifications."</p></section>
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
