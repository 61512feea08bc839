//! The application shell: skip link, top bar, primary navigation, main area.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api::auth::{Logout, current_user};
use crate::ui::components::page::PageHeader;

const NAV: [(&str, &str); 9] = [
    ("/", "Dashboard"),
    ("/tenants", "Tenants"),
    ("/releases", "Releases"),
    ("/rollouts", "Rollouts"),
    ("/approvals", "Approvals"),
    ("/compliance", "Compliance"),
    ("/users", "Users"),
    ("/audit", "Audit"),
    ("/settings", "Settings"),
];

#[component]
pub fn AppShell() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app">
            <TopBar/>
            <nav class="side-nav" aria-label="Primary">
                <ul>
                    {NAV
                        .into_iter()
                        .map(|(href, label)| {
                            view! {
                                <li>
                                    <A href=href exact=true>{label}</A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <main id="main" class="main">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
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
                        Ok(Some(user)) => view! {
                            <div class="user-menu">
                                <span class="user-name" data-testid="current-user">{user.display_name}</span>
                                <span class="user-email muted">{user.email}</span>
                                <ActionForm action=logout attr:class="inline-form">
                                    <button type="submit" class="btn btn-secondary btn-sm">"Sign out"</button>
                                </ActionForm>
                            </div>
                        }.into_any(),
                        _ => view! { <a class="btn btn-secondary btn-sm" href="/login">"Sign in"</a> }.into_any(),
                    }
                })}
            </Suspense>
        </header>
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
