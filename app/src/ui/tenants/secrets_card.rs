//! The tenant's secrets on its Config tab: each named secret with when it
//! last changed, how its rotation reaches the tenant and its schedule; a
//! rotation (a generated value unless one is supplied) and recent rotations.
//! Values are never shown.

use leptos::prelude::*;

use crate::api::tenants::secrets::{
    RotateTenantSecret, ScheduleSecretRotation, TenantSecrets, secrets_of_tenant,
};
use crate::ui::components::form::{
    FormErrors, SelectField, TextField, action_error, field_message,
};
use crate::ui::components::page::Alert;

#[component]
pub fn SecretsCard(slug: String) -> impl IntoView {
    let rotate = ServerAction::<RotateTenantSecret>::new();
    let schedule = ServerAction::<ScheduleSecretRotation>::new();
    let tenant = slug.clone();
    let data = Resource::new(
        move || (rotate.version().get(), schedule.version().get()),
        move |_| secrets_of_tenant(tenant.clone()),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's secrets…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <SecretsTable page rotate schedule/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

fn when(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

fn status_tone(status: &str) -> &'static str {
    match status {
        "applied" => "tone-success",
        "pending" => "tone-info",
        "rolled_back" => "tone-attention",
        _ => "tone-danger",
    }
}

#[component]
fn SecretsTable(
    page: TenantSecrets,
    rotate: ServerAction<RotateTenantSecret>,
    schedule: ServerAction<ScheduleSecretRotation>,
) -> impl IntoView {
    let rotate_error = action_error(rotate);
    let schedule_error = action_error(schedule);
    let rotate_field = move |field: &'static str| field_message(rotate_error, field);
    let schedule_field = move |field: &'static str| field_message(schedule_error, field);
    let choices: Vec<(String, String)> = page
        .secrets
        .iter()
        .map(|s| (s.name.clone(), s.label.clone()))
        .collect();
    let can_rotate = page.can_rotate;
    let slug = page.slug.clone();
    let schedule_slug = page.slug.clone();
    let schedule_choices = choices.clone();
    view! {
        <section class="card table-card" id="secrets" aria-labelledby="secrets-heading">
            <h2 id="secrets-heading">"Secrets"</h2>
            <p class="muted">"A rotation is a change request: the portal generates the new value (or takes yours), hands it to the executor only for the step that sets it, and stores it sealed when the change succeeds. A failed rotation puts the previous value back. The web application's password rotates live; the database's and Airflow's in maintenance (a blue-green swap on an edge tenant)."</p>
            <table class="table table-compact" data-testid="secret-table">
                <thead><tr>
                    <th scope="col">"Secret"</th>
                    <th scope="col">"Stored as"</th>
                    <th scope="col">"Last changed"</th>
                    <th scope="col">"Rotation"</th>
                    <th scope="col">"Schedule"</th>
                </tr></thead>
                <tbody>
                    {page.secrets.iter().cloned().map(|s| view! {
                        <tr data-testid=format!("secret-{}", s.name)>
                            <th scope="row">{s.label.clone()}</th>
                            <td><code>{s.config_key.clone()}</code>{(!s.present).then(|| view! { " " <span class="badge tone-neutral">"Not set"</span> })}</td>
                            <td class="nowrap">{s.updated_at.map(|at| when(&at)).unwrap_or_else(|| "—".into())}<br/><span class="muted">{s.updated_by.clone().unwrap_or_default()}</span></td>
                            <td>{s.change_model.clone()}</td>
                            <td>{s.interval_days.map(|d| format!("every {d} days")).unwrap_or_else(|| "—".into())}
                                {s.last_rotated_at.map(|at| view! { <br/><span class="muted">{format!("last {}", when(&at))}</span> })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(!page.rotations.is_empty()).then(|| view! {
                <div class="card-section">
                <h3>"Recent rotations"</h3>
                <ul class="plain-list" data-testid="rotation-list">
                    {page.rotations.iter().cloned().map(|r| view! {
                        <li>
                            <span class=format!("badge {}", status_tone(&r.status)) data-testid="rotation-status">{r.status.replace('_', " ")}</span>
                            " " <a href=format!("/changes/{}", r.change_request_id)>{r.secret_name.clone()}</a>
                            " " <span class="muted">{format!("{} by {}{}", when(&r.created_at), r.requested_by, if r.generated { ", generated" } else { ", supplied" })}</span>
                        </li>
                    }).collect_view()}
                </ul>
                </div>
            })}
            {can_rotate.then(|| view! {
                <div class="card-section card-row">
                    <div>
                        <h3>"Rotate a secret"</h3>
                        <FormErrors error=rotate_error/>
                        <ActionForm action=rotate attr:class="form" attr:novalidate=true attr:data-testid="rotate-form">
                            <input type="hidden" name="slug" value=slug.clone()/>
                            <SelectField name="rotate_secret" label="Secret" options=choices.clone() error=rotate_field("name")/>
                            <TextField name="new_value" label="New value" input_type="password" autocomplete="new-password" help="Empty: the portal generates one (43 characters)." error=rotate_field("value")/>
                            <TextField name="rotation_note" label="Why" placeholder="optional" error=rotate_field("note")/>
                            <div class="form-actions"><button type="submit" class="btn btn-primary">"Rotate"</button></div>
                        </ActionForm>
                    </div>
                    <div>
                        <h3>"Rotation schedule"</h3>
                        <FormErrors error=schedule_error/>
                        <ActionForm action=schedule attr:class="form" attr:novalidate=true attr:data-testid="secret-schedule-form">
                            <input type="hidden" name="slug" value=schedule_slug.clone()/>
                            <SelectField name="schedule_secret" label="Secret to schedule" options=schedule_choices.clone() error=schedule_field("name")/>
                            <TextField name="interval_days" label="Rotate every (days)" input_type="number" help="1 to 365; empty: no schedule." error=schedule_field("interval_days")/>
                            <div class="form-actions"><button type="submit" class="btn btn-secondary">"Save schedule"</button></div>
                        </ActionForm>
                    </div>
                </div>
            })}
        </section>
    }
    .into_any()
}
