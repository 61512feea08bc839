//! The tenant's Placement tab: where it runs (region, isolation, address),
//! the migration under way step by step (live while it runs), the form that
//! moves it (regions limited to its allowed ones; typed slug to confirm) and
//! its past migrations with their placement decisions.

use leptos::prelude::*;

use crate::api::tenants::migrations::{
    MigrateTenant, MigrationRow, TenantMigrations, migrations_of_tenant,
};
use crate::domain::tenants::migration::MigrationStatus;
use crate::domain::tenants::tenant::IsolationMode;
use crate::ui::components::form::{
    FormErrors, SelectField, TextField, action_error, field_message,
};
use crate::ui::components::live::LiveEvent;
use crate::ui::components::page::Alert;
use crate::ui::components::refresh::refresh_while;
use crate::ui::tenants::backups_tab::when;

fn status_of(row: &MigrationRow) -> MigrationStatus {
    MigrationStatus::parse(&row.status).unwrap_or(MigrationStatus::Failed)
}

fn isolation_label(raw: &str) -> String {
    IsolationMode::parse(raw)
        .map(|m| m.label().to_owned())
        .unwrap_or_else(|_| raw.to_owned())
}

fn status_tone(status: MigrationStatus) -> &'static str {
    use MigrationStatus as S;
    match status {
        S::Completed => "tone-success",
        S::Requested => "tone-neutral",
        S::Running | S::CutOver => "tone-info",
        S::RolledBack | S::CleanupFailed => "tone-attention",
        S::Failed => "tone-danger",
        S::Cancelled => "tone-neutral",
    }
}

#[component]
pub fn PlacementTab(slug: String) -> impl IntoView {
    let migrate = ServerAction::<MigrateTenant>::new();
    let tenant = slug.clone();
    let data = Resource::new(
        move || migrate.version().get(),
        move |_| migrations_of_tenant(tenant.clone()),
    );
    refresh_while(
        data,
        |page: &TenantMigrations| {
            page.migrations
                .first()
                .is_some_and(|m| status_of(m).is_open())
        },
        |event: &LiveEvent| {
            event.event_type.starts_with("change.") || event.event_type.starts_with("tenant.")
        },
    );
    // Once a migration followed live has ended, the page header (region,
    // address) is refetched too.
    let header = use_context::<crate::ui::tenants::tenant_page::TenantMoved>();
    Effect::new(move |was_open: Option<bool>| {
        let open = data.get().and_then(Result::ok).is_some_and(|page| {
            page.migrations
                .first()
                .is_some_and(|m| status_of(m).is_open())
        });
        if was_open == Some(true)
            && !open
            && let Some(header) = header
        {
            header.0.update(|n| *n += 1);
        }
        open
    });
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's placement…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! {
                        <Current page=page.clone()/>
                        {page.migrations.first().filter(|m| status_of(m).is_open() || m.finished_at.is_some()).cloned().map(|latest| view! { <Workflow row=latest/> })}
                        <MoveForm page=page.clone() migrate/>
                        <History rows=page.migrations.clone()/>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Current(page: TenantMigrations) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="placement-heading" data-testid="placement">
            <h2 id="placement-heading">"Placement"</h2>
            <dl class="facts">
                <dt>"Region"</dt><dd data-testid="placement-region"><code>{page.region.clone()}</code></dd>
                <dt>"Isolation"</dt><dd data-testid="placement-isolation">{isolation_label(&page.isolation)}</dd>
                <dt>"Address"</dt><dd>{page.address.clone().map(|a| view! { <code>{a}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"Not set"</span> }.into_any())}</dd>
                <dt>"May move to"</dt><dd>{if page.regions.is_empty() { "No region: set the tenant's allowed regions first.".to_owned() } else { page.regions.join(", ") }}</dd>
            </dl>
        </section>
    }
}

#[component]
fn Workflow(row: MigrationRow) -> impl IntoView {
    let status = status_of(&row);
    let steps = row.steps.clone();
    let done = steps
        .iter()
        .filter(|s| s.step != "rollback" && s.status == "succeeded")
        .count();
    view! {
        <section class="card" aria-labelledby="migration-heading" data-testid="migration-workflow" data-status=row.status.clone()>
            <div class="card-title-row">
                <h2 id="migration-heading">{format!("Move to {} ({})", row.to_region, isolation_label(&row.to_isolation).to_lowercase())}</h2>
                <span class=format!("badge {}", status_tone(status)) data-testid="migration-status">{row.status_label.clone()}</span>
            </div>
            <p class="muted">{format!(
                "From {} ({}) · asked for by {} on {} UTC: {}",
                row.from_region, isolation_label(&row.from_isolation).to_lowercase(), row.decided_by, when(&row.requested_at), row.reason
            )}</p>
            <p>
                {format!("{done} of 6 steps done · ")}
                <a href=format!("/changes/{}", row.change_id)>"Open the change"</a>
                {row.backup_id.map(|id| view! { " · " <span class="muted">"backup "</span><code>{id.to_string()}</code> })}
            </p>
            {(!row.note.is_empty()).then(|| view! { <p data-testid="migration-note">{row.note.clone()}</p> })}
            <ol class="step-log">
                {steps.into_iter().enumerate().map(|(index, step)| {
                    let (tone, label) = match step.status.as_str() {
                        "succeeded" => ("tone-success", "Done"),
                        "running" => ("tone-info", "Running"),
                        "failed" => ("tone-danger", "Failed"),
                        _ => ("tone-neutral", "Waiting"),
                    };
                    view! {
                        <li class="step-log-item" data-status=step.status.clone() data-testid="migration-step">
                            <div class="step-log-head">
                                <span class="step-log-number">{index + 1}</span>
                                <strong>{step.name.clone()}</strong>
                                <span class=format!("badge {tone}")>{label}</span>
                                {(step.attempts > 1).then(|| view! { <span class="muted">{format!("{} attempts", step.attempts)}</span> })}
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {row.target_address.clone().map(|a| view! { <p class="muted">"The target answers at " <code>{a}</code></p> })}
        </section>
    }
    .into_any()
}

#[component]
fn MoveForm(page: TenantMigrations, migrate: ServerAction<MigrateTenant>) -> impl IntoView {
    let error = action_error(migrate);
    let field_error = move |field: &'static str| field_message(error, field);
    if let Some(why) = page.why_not.clone() {
        return view! { <p class="muted" data-testid="migration-refusal">{why}</p> }.into_any();
    }
    let regions: Vec<(String, String)> = page
        .regions
        .iter()
        .map(|r| (r.clone(), r.clone()))
        .collect();
    let isolations: Vec<(String, String)> = page
        .isolations
        .iter()
        .map(|m| (m.clone(), isolation_label(m)))
        .collect();
    view! {
        <section class="card" id="migrate" aria-labelledby="migrate-heading">
            <h2 id="migrate-heading">"Move this tenant"</h2>
            <p class="muted">
                "A migration backs the tenant up, prepares the target, migrates the data through the executor, validates the health baseline on the target, cuts over and cleans up the source — in the tenant's maintenance window, after approval if its policy asks. Each step resumes after a crash; a failure before the cut-over tears the target down and the tenant stays where it is."
            </p>
            <FormErrors error/>
            <ActionForm action=migrate attr:class="form-grid" attr:novalidate=true attr:data-testid="migrate-form">
                <input type="hidden" name="slug" value=page.slug.clone()/>
                <SelectField name="region" label="Region" options=regions selected=page.region.clone() help="Only the tenant's allowed regions (data residency)." error=field_error("region")/>
                <SelectField name="isolation" label="Isolation" options=isolations selected=page.isolation.clone() error=field_error("isolation")/>
                <TextField name="reason" label="Reason" placeholder="e.g. customer asked for a dedicated instance" error=field_error("reason")/>
                <TextField name="confirm" label="Type the tenant's slug to confirm" placeholder="the slug" error=field_error("confirm")/>
                <div class="form-actions"><button type="submit" class="btn btn-primary">"Move tenant"</button></div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn History(rows: Vec<MigrationRow>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="migrations-heading">
            <h2 id="migrations-heading">"Migrations"</h2>
            {if rows.is_empty() {
                view! { <p class="muted" data-testid="migrations-empty">"This tenant has never moved: it runs where it was onboarded."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                    <table class="table table-compact" data-testid="migrations">
                        <thead><tr>
                            <th scope="col">"Asked for (UTC)"</th><th scope="col">"From"</th><th scope="col">"To"</th>
                            <th scope="col">"Reason"</th><th scope="col">"Decided by"</th><th scope="col">"Status"</th><th scope="col">"Change"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|m| {
                                let status = status_of(&m);
                                view! {
                                    <tr>
                                        <td class="nowrap">{when(&m.requested_at)}</td>
                                        <td class="nowrap">{format!("{} · {}", m.from_region, m.from_isolation)}</td>
                                        <td class="nowrap">{format!("{} · {}", m.to_region, m.to_isolation)}</td>
                                        <td>{m.reason.clone()}</td>
                                        <td class="nowrap">{m.decided_by.clone()}</td>
                                        <td><span class=format!("badge {}", status_tone(status))>{m.status_label.clone()}</span></td>
                                        <td><a href=format!("/changes/{}", m.change_id)>"Open"</a></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
