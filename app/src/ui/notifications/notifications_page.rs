//! Settings → Notifications: what to hear about, by email and in the app.

use leptos::prelude::*;

use crate::api::notifications::{
    SaveEmailDigestSettings, SaveNotificationPreferences, email_digest_settings,
    notification_preferences,
};
use crate::ui::components::form::{
    FormErrors, SelectField, TextField, action_error, field_message,
};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::time::utc;
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
            <EmailDelivery/>
    }
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// At once, or one daily or weekly digest at the person's hour and zone.
#[component]
fn EmailDelivery() -> impl IntoView {
    let save = ServerAction::<SaveEmailDigestSettings>::new();
    let current = Resource::new(move || save.version().get(), |_| email_digest_settings());
    let error = action_error(save);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <section class="card" data-testid="email-delivery">
            <h2>"Email delivery"</h2>
            <p class="muted">"Get one email per notification, or one digest a day or a week at the hour you choose. Security alerts, approvals waiting for you, halted rollouts and disabled webhooks are always emailed at once."</p>
            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success"><span data-testid="digest-saved">"Email delivery saved."</span></Alert> })}
            <FormErrors error/>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(now) => {
                            let hours: Vec<(String, String)> = (0..24).map(|h| (h.to_string(), format!("{h:02}:00"))).collect();
                            let days: Vec<(String, String)> = WEEKDAYS.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())).collect();
                            view! {
                                <p data-testid="digest-status">
                                    "Now: " <strong>{now.description.clone()}</strong>
                                    {now.next_digest_at.map(|at| format!(" · next digest {}", utc(&at)))}
                                    {(now.pending > 0).then(|| format!(" · {} waiting", now.pending))}
                                </p>
                                <ActionForm action=save attr:class="form">
                                    <div class="form-grid">
                                        <SelectField name="cadence" label="Send" options=now.cadences.clone() selected=now.cadence.clone() error=field_error("cadence")/>
                                        <SelectField name="hour" label="At (your time)" options=hours selected=now.hour.to_string() error=field_error("hour")/>
                                        <SelectField name="weekday" label="On (weekly digest)" options=days selected=now.weekday.clone() error=field_error("weekday")/>
                                        <TextField name="timezone" label="Time zone" value=now.timezone.clone() placeholder="Europe/Berlin" help="An IANA time zone, e.g. Europe/Berlin or America/New_York." error=field_error("timezone")/>
                                    </div>
                                    <button type="submit" class="btn btn-primary">"Save email delivery"</button>
                                </ActionForm>
                            }.into_any()
                        }
                        Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
