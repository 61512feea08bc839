//! The tenant's Update policy tab: who approves updates, the time zone and
//! delay limit, the recurring maintenance windows, the blackouts (the
//! tenant's own and the organisation's), and when a change could start now.

use leptos::prelude::*;

use crate::api::changes::{
    AddBlackout, AddMaintenanceWindow, BlackoutRow, RemoveBlackout, RemoveMaintenanceWindow,
    SaveUpdatePolicy, UpdatePolicyPage, WindowRow, update_policy,
};
use crate::domain::changes::change::ApprovalMode;
use crate::ui::components::form::{
    FormErrors, SelectField, TextField, action_error, field_message, form_field, success_count,
};
use crate::ui::components::page::Alert;
use crate::ui::components::time::utc;
use crate::ui::components::url::href_with_query;

const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

#[component]
pub fn UpdatePolicyTab(slug: String) -> impl IntoView {
    let save = ServerAction::<SaveUpdatePolicy>::new();
    let add_window = ServerAction::<AddMaintenanceWindow>::new();
    let remove_window = ServerAction::<RemoveMaintenanceWindow>::new();
    let add_blackout = ServerAction::<AddBlackout>::new();
    let remove_blackout = ServerAction::<RemoveBlackout>::new();
    let (saved, windows_added, blackouts_added) = (
        success_count(save),
        success_count(add_window),
        success_count(add_blackout),
    );
    let tenant = slug.clone();
    let data = Resource::new(
        move || {
            (
                saved.get(),
                windows_added.get(),
                blackouts_added.get(),
                remove_window.version().get(),
                remove_blackout.version().get(),
            )
        },
        move |_| update_policy(tenant.clone()),
    );
    let remove_error = Memo::new(move |_| {
        remove_window
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove_blackout.value().get().and_then(|r| r.err()))
    });
    view! {
        {move || remove_error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the update policy…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(policy) => view! {
                        <NextStart policy=policy.clone()/>
                        <PolicyCard policy=policy.clone() save/>
                        <div class="distribution">
                            <WindowsCard policy=policy.clone() add=add_window remove=remove_window/>
                            <BlackoutsCard policy add=add_blackout remove=remove_blackout/>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn NextStart(policy: UpdatePolicyPage) -> impl IntoView {
    let changes = href_with_query("/changes", &[("tenant", Some(policy.tenant_slug.clone()))]);
    view! {
        <section class="card next-start" aria-labelledby="next-start-heading">
            <h2 id="next-start-heading" class="stat-label">"Next allowed start"</h2>
            <p data-testid="next-start">
                <strong>{policy.next_start_at.map_or_else(|| "none within a year".to_owned(), |at| utc(&at))}</strong>
                {(!policy.next_start_reason.is_empty()).then(|| view! { " — " {policy.next_start_reason.clone()} })}
            </p>
            <p class="muted">"When a change requested now could start. " <a href=changes>"Change requests of this tenant"</a></p>
        </section>
    }
}

#[component]
fn PolicyCard(policy: UpdatePolicyPage, save: ServerAction<SaveUpdatePolicy>) -> impl IntoView {
    let mode = policy.approval_mode;
    if !policy.may.edit {
        return view! {
            <section class="card" aria-labelledby="policy-heading">
                <h2 id="policy-heading">"Update policy"</h2>
                <dl class="facts" data-testid="update-policy">
                    <dt>"Approval"</dt><dd>{format!("{} — {}", mode.label(), mode.description())}</dd>
                    <dt>"Time zone"</dt><dd>{policy.timezone.clone()}</dd>
                    <dt>"Delay limit"</dt><dd>{format!("{} days", policy.max_delay_days)}</dd>
                </dl>
            </section>
        }
        .into_any();
    }
    let error = action_error(save);
    let field_error = move |field: &'static str| field_message(error, field);
    let query = leptos_router::hooks::use_query_map();
    let modes: Vec<(String, String)> = ApprovalMode::ALL
        .into_iter()
        .map(|m| (m.as_str().to_owned(), m.label().to_owned()))
        .collect();
    view! {
        <section class="card" aria-labelledby="policy-heading">
            <h2 id="policy-heading">"Update policy"</h2>
            {move || {
                // Hydrated, the action says so; without JavaScript the redirect's `saved=1`.
                let by_action = save.value().get().is_some_and(|r| r.is_ok());
                let by_redirect = save.value().get().is_none()
                    && query.read().get("saved").as_deref() == Some("1");
                (by_action || by_redirect).then(|| view! { <Alert tone="success"><span data-testid="policy-saved">"Update policy saved."</span></Alert> })
            }}
            <FormErrors error field_name=form_field/>
            <ActionForm action=save attr:class="form form-grid" attr:novalidate=true attr:data-testid="update-policy-form">
                <input type="hidden" name="tenant" value=policy.tenant_slug.clone()/>
                <SelectField name="form[approval_mode]" label="Approval" options=modes selected=policy.approval_mode.as_str() help="Who must approve upgrades and patches: nobody, only new major versions, or every update" error=field_error("approval_mode")/>
                <TextField name="form[timezone]" label="Time zone" value=policy.timezone.clone() help="IANA name, e.g. Europe/Berlin; windows use it" error=field_error("timezone")/>
                {if policy.may.set_delay_limit {
                    view! { <TextField name="form[max_delay_days]" label="Delay limit (days)" input_type="number" value=policy.max_delay_days.to_string() help="How long the tenant may postpone a change on its own, 0 to 90" error=field_error("max_delay_days")/> }.into_any()
                } else {
                    view! {
                        <div class="field" data-testid="delay-limit">
                            <input type="hidden" name="form[max_delay_days]" value=policy.max_delay_days.to_string()/>
                            <span class="field-label">"Delay limit"</span>
                            <p class="field-help">{format!("{} days, set by the vendor. Longer delays go to the vendor as requests.", policy.max_delay_days)}</p>
                        </div>
                    }.into_any()
                }}
                {if policy.may.set_delay_limit {
                    view! {
                        <div>
                            <TextField name="form[max_running_changes]" label="Changes at once" input_type="number" value=policy.max_running_changes.map(|n| n.to_string()).unwrap_or_default() help="How many of this tenant's changes may run at the same time; empty for the plan's quota" error=field_error("max_running_changes")/>
                            <p class="field-help" data-testid="running-limit">{format!("In force now: {} at once.", policy.running_limit)}</p>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="field" data-testid="running-limit">
                            <input type="hidden" name="form[max_running_changes]" value=policy.max_running_changes.map(|n| n.to_string()).unwrap_or_default()/>
                            <span class="field-label">"Changes at once"</span>
                            <p class="field-help">{format!("At most {} at the same time, set by the vendor's plan; the rest wait in the queue.", policy.running_limit)}</p>
                        </div>
                    }.into_any()
                }}
                <div class="field span-all">
                    <div class="checkbox-row">
                        <input type="checkbox" id="field-auto-update" name="form[auto_update]" value="true" checked=policy.auto_update/>
                        <label for="field-auto-update">"Auto-update"</label>
                    </div>
                    <p class="field-help">"On: each hour the latest release the version policy allows is scheduled into the next window (and follows the approval rule above). Off: only forced upgrades are scheduled."</p>
                </div>
                <button type="submit" class="btn btn-primary">"Save policy"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// A card of the schedule: what it means, its entries (each with a Remove
/// form for editors), a sentence when there are none, then the add form.
#[component]
fn ScheduleCard(
    heading: &'static str,
    title: &'static str,
    intro: String,
    empty: &'static str,
    testid: &'static str,
    entries: Vec<(AnyView, Option<AnyView>)>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby=heading>
            <h2 id=heading>{title}</h2>
            <p class="muted">{intro}</p>
            {if entries.is_empty() {
                view! { <p class="muted" data-testid=format!("{testid}-empty")>{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list" data-testid=testid>
                        {entries.into_iter().map(|(text, remove)| view! { <li>{text}{remove}</li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {children()}
        </section>
    }
}

#[component]
fn WindowsCard(
    policy: UpdatePolicyPage,
    add: ServerAction<AddMaintenanceWindow>,
    remove: ServerAction<RemoveMaintenanceWindow>,
) -> impl IntoView {
    let error = action_error(add);
    let field_error = move |field: &'static str| field_message(error, field);
    let can_edit = policy.may.edit;
    let slug = policy.tenant_slug.clone();
    let weekdays: Vec<(String, String)> = WEEKDAYS
        .iter()
        .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
        .collect();
    let entries = policy
        .windows
        .clone()
        .into_iter()
        .map(|w: WindowRow| {
            let (slug, what) = (slug.clone(), format!("Remove window {}", w.label));
            let remove = can_edit.then(|| {
                view! {
                    <ActionForm action=remove attr:class="inline-form">
                        <input type="hidden" name="tenant" value=slug/>
                        <input type="hidden" name="id" value=w.id.to_string()/>
                        <button type="submit" class="btn btn-sm" aria-label=what>"Remove"</button>
                    </ActionForm>
                }
                .into_any()
            });
            (view! { <span>{w.label.clone()}</span> }.into_any(), remove)
        })
        .collect();
    view! {
        <ScheduleCard
            heading="windows-heading"
            title="Maintenance windows"
            intro=format!("Changes start only inside these weekly windows ({} time).", policy.timezone)
            empty="No windows: changes may start at any time outside blackouts."
            testid="windows"
            entries
        >
            {can_edit.then(|| view! {
                <FormErrors error/>
                <ActionForm action=add attr:class="form form-grid" attr:novalidate=true attr:data-testid="window-form">
                    <input type="hidden" name="tenant" value=policy.tenant_slug.clone()/>
                    <SelectField name="weekday" label="Weekday" options=weekdays selected="sat" error=field_error("weekday")/>
                    <TextField name="start" label="Start" input_type="time" value="02:00" help="HH:MM" error=field_error("start")/>
                    <TextField name="end" label="End" input_type="time" value="06:00" help="At or before the start: next day" error=field_error("end")/>
                    <button type="submit" class="btn btn-secondary">"Add window"</button>
                </ActionForm>
            })}
        </ScheduleCard>
    }
    .into_any()
}

#[component]
fn BlackoutsCard(
    policy: UpdatePolicyPage,
    add: ServerAction<AddBlackout>,
    remove: ServerAction<RemoveBlackout>,
) -> impl IntoView {
    let error = action_error(add);
    let field_error = move |field: &'static str| field_message(error, field);
    let can_edit = policy.may.edit;
    let scopes = vec![
        (policy.tenant_slug.clone(), "This tenant".to_owned()),
        (String::new(), "The whole organisation".to_owned()),
    ];
    let entries = policy
        .blackouts
        .clone()
        .into_iter()
        .map(|b: BlackoutRow| {
            let (tone, scope) = if b.tenant_id.is_none() {
                ("tone-attention", "Organisation-wide")
            } else {
                ("tone-neutral", "This tenant")
            };
            let what = format!("Remove blackout {}", b.reason);
            let remove = can_edit.then(|| {
                view! {
                    <ActionForm action=remove attr:class="inline-form">
                        <input type="hidden" name="id" value=b.id.to_string()/>
                        <button type="submit" class="btn btn-sm" aria-label=what>"Remove"</button>
                    </ActionForm>
                }
                .into_any()
            });
            let text = view! {
                <span>
                    <span class=format!("badge {tone}")>{scope}</span>
                    " " <strong>{b.reason.clone()}</strong><br/>
                    <span class="muted">{format!("{} – {} · by {}", utc(&b.starts_at), utc(&b.ends_at), b.created_by)}</span>
                </span>
            }
            .into_any();
            (text, remove)
        })
        .collect();
    view! {
        <ScheduleCard
            heading="blackouts-heading"
            title="Blackouts"
            intro="No change starts inside a blackout: this tenant's own and the organisation-wide ones.".to_owned()
            empty="No blackouts ahead."
            testid="blackouts"
            entries
        >
            {can_edit.then(|| view! {
                <FormErrors error/>
                <ActionForm action=add attr:class="form form-grid" attr:novalidate=true attr:data-testid="blackout-form">
                    <SelectField name="tenant" label="Applies to" options=scopes help="Organisation-wide blackouts need the platform policy permission" error=field_error("tenant")/>
                    <TextField name="starts" label="Starts" input_type="date" required=true help="In the tenant's time zone" error=field_error("starts")/>
                    <TextField name="ends" label="Ends" input_type="date" required=true help="That whole day included" error=field_error("ends")/>
                    <TextField name="reason" label="Reason" required=true placeholder="Year-end freeze" error=field_error("reason")/>
                    <button type="submit" class="btn btn-secondary">"Add blackout"</button>
                </ActionForm>
            })}
        </ScheduleCard>
    }
    .into_any()
}
