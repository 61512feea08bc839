//! The application shell: skip link, top bar, primary navigation, main area.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api::access::auth::Logout;
use crate::api::access::auth::SignedInUser;
use crate::api::access::auth::current_user;
use crate::api::changes::pending_approval_count;
use crate::api::notifications::unread_notifications;
use crate::error::AppError;
use crate::ui::components::page::PageHeader;

/// Who sees a navigation entry (the server checks every page regardless).
#[derive(Clone, Copy, PartialEq, Eq)]
enum NavFor {
    Everyone,
    /// People who manage users somewhere.
    UserManagers,
    /// Platform operators: screens that span every tenant (rollouts, jobs).
    Platform,
}

const NAV: [(&str, &str, NavFor); 18] = [
    ("/", "Dashboard", NavFor::Everyone),
    ("/tenants", "Tenants", NavFor::Everyone),
    ("/health", "Tenant health", NavFor::Everyone),
    ("/changes", "Changes", NavFor::Everyone),
    ("/approvals", "Approvals", NavFor::Everyone),
    ("/releases", "Releases", NavFor::Everyone),
    ("/rollouts", "Rollouts", NavFor::Platform),
    ("/deployments", "Deployments", NavFor::Everyone),
    ("/compliance", "Compliance", NavFor::Everyone),
    ("/policies", "Policies", NavFor::Everyone),
    ("/users", "Users", NavFor::UserManagers),
    ("/audit", "Audit", NavFor::Everyone),
    ("/jobs", "Jobs", NavFor::Platform),
    ("/alerts", "Alerts", NavFor::Platform),
    ("/service-levels", "Service levels", NavFor::Platform),
    ("/plans", "Plans", NavFor::Platform),
    ("/usage", "Usage", NavFor::Platform),
    ("/settings", "Settings", NavFor::Everyone),
];

/// How many change requests await the viewer's decision: loaded by the shell
/// (next to the current user, see BUILD-NOTES session 4) and refetched by the
/// screens that decide, so the top bar's badge follows.
#[derive(Clone, Copy)]
pub struct ApprovalCount(pub Resource<Result<u64, AppError>>);

/// Refetches the top bar's approvals count, if the shell is there.
pub fn refresh_approval_count() {
    if let Some(ApprovalCount(count)) = use_context::<ApprovalCount>() {
        count.refetch();
    }
}

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
    let approvals = Resource::new(|| (), |_| pending_approval_count());
    provide_context(user);
    provide_context(ApprovalCount(approvals));
    crate::ui::components::live::provide_live_feed();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app">
            <TopBar user unread approvals/>
            <nav class="side-nav" aria-label="Primary">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let user = user.await.ok().flatten();
                                        let shows = |who: NavFor| match who {
                                            NavFor::Everyone => true,
                                            NavFor::UserManagers => user.as_ref().is_some_and(|u| u.can_manage_users),
                                            NavFor::Platform => user.as_ref().is_some_and(|u| u.sees_platform),
                                        };
                        view! {
                            <ul>
                                {NAV
                                    .into_iter()
                                    .filter(|(_, _, who)| shows(*who))
                                    .map(|(href, label, _)| {
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
fn TopBar(
    user: CurrentUser,
    unread: Resource<Result<u64, AppError>>,
    approvals: Resource<Result<u64, AppError>>,
) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="top-bar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"▦"</span>
                "Tenantry"
            </a>
            <div class="top-bar-spacer"></div>
            // A Transition: refetching a count keeps the menu on screen.
            <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => {
                            let unread_count = unread.await.unwrap_or(0);
                            let approvals_count = approvals.await.unwrap_or(0);
                            view! {
                            <div class="user-menu">
                                <ApprovalsLink count=approvals_count/>
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
            </Transition>
        </header>
    }
}

/// The bell: a link to the inbox with the number of unread notifications,
/// kept current by the live feed once the page is hydrated.
#[component]
fn InboxLink(count: u64) -> impl IntoView {
    // The live feed's count once it has one; the server's until then.
    let feed = crate::ui::components::live::use_live_feed();
    let live = Signal::derive(move || feed.and_then(|f| f.unread.get()).unwrap_or(count));
    let label = move || match live.get() {
        0 => "Notifications, none unread".to_owned(),
        n => format!("Notifications, {n} unread"),
    };
    view! {
        <a class="btn btn-secondary btn-sm" href="/notifications" aria-label=label data-testid="inbox-link">
            "Inbox"
            {move || (live.get() > 0).then(|| view! { " " <span class="badge tone-danger" data-testid="unread-count">{live.get()}</span> })}
        </a>
    }
}

/// "Approvals N": a link to the approvals inbox with how many changes await
/// the viewer's decision.
#[component]
fn ApprovalsLink(count: u64) -> impl IntoView {
    let label = if count == 0 {
        "Approvals, none waiting".to_owned()
    } else {
        format!("Approvals, {count} waiting for your decision")
    };
    view! {
        <a class="btn btn-secondary btn-sm" href="/approvals" aria-label=label data-testid="approvals-link">
            "Approvals"
            {(count > 0).then(|| view! { " " <span class="badge tone-attention" data-testid="approvals-count">{count}</span> })}
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
