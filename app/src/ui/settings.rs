//! The tabs the settings pages share (account, notifications, roles, API tokens, webhooks).

use leptos::prelude::*;

/// The tabs every settings page shows.
#[component]
pub fn SettingsTabs(current: &'static str) -> impl IntoView {
    let tab = move |href: &'static str, label: &'static str| {
        view! { <a href=href aria-current=(href == current).then_some("page")>{label}</a> }
    };
    view! {
        <nav class="tabs" aria-label="Settings sections">
            {tab("/settings/account", "Account")}
            {tab("/settings/notifications", "Notifications")}
            {tab("/settings/roles", "Roles")}
            {tab("/settings/api-tokens", "API tokens")}
            {tab("/settings/webhooks", "Webhooks")}
        </nav>
    }
}
