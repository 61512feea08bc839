//! Settings → Notifications: what to hear about, by email and in the app.

use leptos::prelude::*;

use crate::api::notifications::{SaveNotificationPreferences, notification_preferences};
use crate::ui::components::form::action_error;
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::settings::SettingsTabs;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let save = ServerAction::<SaveNotificationPreferences>::new();
    let rows = Resource::new(move || save.version().get(), |_| notification_preferences());
    let error = action_error(save);
    view! {
        <PageHeader title="Settings" description="Your account, notifications, roles, and API tokens for the REST API and the tenantry CLI."/>
        <SettingsTabs current="/settings/notifications"/>
        <section class="card">
            <h2>"Notifications"</h2>
            <p class="muted">"Choose what you hear about, and where. Emails go to your sign-in address."</p>
            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success"><span data-testid="preferences-saved">"Preferences saved."</span></Alert> })}
            {move || error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(rows) => view! {
                            <ActionForm action=save attr:class="form">
                                <table class="table table-compact" data-testid="preferences-table">
                                    <caption class="visually-hidden">"Notification preferences"</caption>
                                    <thead><tr><th scope="col">"About"</th><th scope="col">"Email"</th><th scope="col">"In the app"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| {
                                            let email_label = format!("Email: {}", row.label);
                                            let app_label = format!("In the app: {}", row.label);
                                            view! {
                                                <tr>
                                                    <td>{row.label.clone()}</td>
                                                    <td><input type="checkbox" name=format!("email[{}]", row.kind.as_str()) checked=row.email aria-label=email_label/></td>
                                                    <td><input type="checkbox" name=format!("in_app[{}]", row.kind.as_str()) checked=row.in_app disabled=row.in_app_locked aria-label=app_label/>
                                                        {row.in_app_locked.then(|| view! { <span class="muted">" always"</span> })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <button type="submit" class="btn btn-primary">"Save preferences"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
