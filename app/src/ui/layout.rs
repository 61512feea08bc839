//! The application shell: skip link, top bar, primary navigation, main area.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api::auth::{Logout, SignedInUser, current_user};
use crate::api::notifications::unread_notifications;
use crate::error::AppError;
use crate::ui::components::page::PageHeader;

const NAV: [(&str, &str); 10] = [
    ("/", "Dashboard"),
    ("/tenants", "Tenants"),
    ("/releases", "Releases"),
    ("/rollouts", "Rollouts"),
    ("/approvals", "Approvals"),
    ("/compliance", "Compliance"),
    ("/policies", "Policies"),
    ("/users", "Users"),
    ("/audit", "Audit"),
    ("/settings", "Settings"),
];

/// The signed-in user, loaded once by the shell and shared with pages that
/// offer actions only some people have.
pub type CurrentUser = Resource<Result<Option<SignedInUser>, AppError>>;

/// Whether the signed-in user may onboard tenants (hides the button otherwise).
pub fn can_onboard() -> Signal<bool> {
    let user = use_context::<CurrentUser>();
    Signal::derive(move || {
        user.and_then(|u| u.get())
            .and_then(|r| r.ok().flatten())
            .is_some_and(|u| u.can_onboard)
    })
}

#[component]
pub fn AppShell() -> impl IntoView {
    let user: CurrentUser = Resource::new(|| (), |_| current_user());
    let unread = Resource::new(|| (), |_| unread_notifications());
    provide_context(user);
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app">
            <TopBar user unread/>
            <nav class="side-nav" aria-label="Primary">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let can_manage_users = user.await.ok().flatten().is_some_and(|u| u.can_manage_users);
                        view! {
                            <ul>
                                {NAV
                                    .into_iter()
                                    .filter(|(href, _)| *href != "/users" || can_manage_users)
                                    .map(|(href, label)| {
                                        view! {
                                            <li>
                                                <A href=href exact=true>{label}</A>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
                </Suspense>
            </nav>
            <main id="main" class="main">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn TopBar(user: CurrentUser, unread: Resource<Result<u64, AppError>>) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="top-bar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"▦"</span>
                "Tenantry"
            </a>
            <div class="top-bar-spacer"></div>
            <Suspense fallback=|| view! { <span class="muted">"…"</span> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => {
                            let unread_count = unread.await.unwrap_or(0);
                            view! {
                            <div class="user-menu">
                                <InboxLink count=unread_count/>
                                <span class="user-name" data-testid="current-user">{user.display_name}</span>
                                <span class="user-email muted">{user.email}</span>
                                <ActionForm action=logout attr:class="inline-form">
                                    <button type="submit" class="btn btn-secondary btn-sm">"Sign out"</button>
                                </ActionForm>
                            </div>
                            }.into_any()
                        }
                        _ => view! { <a class="btn btn-secondary btn-sm" href="/login">"Sign in"</a> }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

/// The bell: a link to the inbox with the number of unread notifications.
#[component]
fn InboxLink(count: u64) -> impl IntoView {
    let label = if count == 0 {
        "Notifications, none unread".to_owned()
    } else {
        format!("Notifications, {count} unread")
    };
    view! {
        <a class="btn btn-secondary btn-sm" href="/notifications" aria-label=label data-testid="inbox-link">
            "Inbox"
            {(count > 0).then(|| view! { " " <span class="badge tone-danger" data-testid="unread-count">{count}</span> })}
        </a>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main id="main" class="main main-standalone">
            <PageHeader title="Page not found" description="The address does not match any page in Tenantry."/>
            <p><a class="btn btn-primary" href="/">"Go to the dashboard"</a></p>
        </main>
    }
}
