//! The tenant's Backups tab: every backup with where it lies, its size,
//! checksum, last verify and last restore test; backup, restore and restore
//! test work under way; asking for a backup, a verify, a restore test or a
//! restore (typed slug to confirm); the schedule (how many daily, weekly and
//! monthly backups to keep, how often a restore is tested); and legal holds.

use leptos::prelude::*;

use crate::api::tenants::backups::{
    BackupRow, LegalHoldOfTenant, LegalHoldRow, RequestTenantBackup, RestoreTenantBackup,
    RestoreTestRow, SetBackupSchedule, TenantBackups, TestTenantRestore, VerifyTenantBackup,
    backups_of_tenant,
};
use crate::domain::tenants::backup::{BackupKind, RetentionClass, VerifyStatus};
use crate::domain::tenants::restore_test::{RestoreTestStatus, refusal as drill_refusal};
use crate::ui::components::form::{
    FormErrors, SelectField, TextField, action_error, field_message,
};
use crate::ui::components::live::LiveEvent;
use crate::ui::components::page::Alert;
use crate::ui::components::progress::ProgressBar;
use crate::ui::components::refresh::refresh_while;

#[component]
pub fn BackupsTab(slug: String) -> impl IntoView {
    let backup_now = ServerAction::<RequestTenantBackup>::new();
    let verify = ServerAction::<VerifyTenantBackup>::new();
    let drill = ServerAction::<TestTenantRestore>::new();
    let restore = ServerAction::<RestoreTenantBackup>::new();
    let schedule = ServerAction::<SetBackupSchedule>::new();
    let hold = ServerAction::<LegalHoldOfTenant>::new();
    let tenant = slug.clone();
    let data = Resource::new(
        move || {
            (
                backup_now.version().get(),
                verify.version().get(),
                drill.version().get(),
                restore.version().get(),
                schedule.version().get(),
                hold.version().get(),
            )
        },
        move |_| backups_of_tenant(tenant.clone()),
    );
    // Backups, restores and restore tests under way: followed live.
    refresh_while(
        data,
        |page: &TenantBackups| !page.in_flight.is_empty(),
        |event: &LiveEvent| {
            event.event_type.starts_with("change.") || event.event_type.starts_with("backup.")
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's backups…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! {
                        <HoldBanner page=page.clone()/>
                        <BackupList page=page.clone() backup_now verify drill/>
                        {page.can_operate.then(|| view! {
                            <div class="card-row">
                                <RestoreForm page=page.clone() restore/>
                                <ScheduleForm page=page.clone() schedule/>
                            </div>
                        })}
                        <LegalHoldCard slug=page.slug.clone() holds=page.legal_holds.clone() can_hold=page.can_hold hold/>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

pub(crate) fn when(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

pub(crate) fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / (1 << 10) as f64),
        b => format!("{b} B"),
    }
}

fn verify_tone(status: VerifyStatus) -> &'static str {
    match status {
        VerifyStatus::Verified => "tone-success",
        VerifyStatus::Unverified => "tone-neutral",
        VerifyStatus::Corrupt | VerifyStatus::Missing => "tone-danger",
    }
}

fn drill_tone(status: RestoreTestStatus) -> &'static str {
    match status {
        RestoreTestStatus::Passed => "tone-success",
        RestoreTestStatus::Failed => "tone-danger",
        RestoreTestStatus::Requested | RestoreTestStatus::Running => "tone-info",
        RestoreTestStatus::Cancelled => "tone-neutral",
    }
}

/// A backup's latest restore test: its verdict (the note on hover), when,
/// and a link to the change that ran it.
#[component]
fn RestoreTestCell(test: Option<RestoreTestRow>) -> impl IntoView {
    match test {
        None => view! { <span class="muted">"Restore never tested"</span> }.into_any(),
        Some(t) => {
            let status = RestoreTestStatus::parse(&t.status).unwrap_or(RestoreTestStatus::Failed);
            let at = t.finished_at.unwrap_or(t.requested_at);
            view! {
                <a href=format!("/changes/{}", t.change_request_id) class=format!("badge {}", drill_tone(status))
                    data-testid="restore-test-status" title=t.note.clone()>"Restore "{status.label().to_lowercase()}</a>
                <br/><span class="muted nowrap">{when(&at)}{t.scheduled.then_some(" · scheduled")}</span>
            }
            .into_any()
        }
    }
}

fn class_label(raw: &str) -> &'static str {
    RetentionClass::parse(raw).map_or("—", RetentionClass::label)
}

fn kind_label(raw: &str) -> &'static str {
    BackupKind::parse(raw).map_or("—", BackupKind::label)
}

fn contents_text(row: &BackupRow) -> String {
    let count = |key: &str| row.contents.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    format!(
        "{} keys ({} secret) · {} products · {} endpoints",
        count("config_keys"),
        count("secrets"),
        count("products"),
        count("endpoints")
    )
}

#[component]
fn HoldBanner(page: TenantBackups) -> impl IntoView {
    page.legal_holds
        .iter()
        .find(|h| h.lifted_at.is_none())
        .cloned()
        .map(|h| {
            view! {
                <Alert tone="attention"><span data-testid="legal-hold-standing">
                    {format!("Legal hold since {} (set by {}): {}. Retention deletes nothing of this tenant until it is lifted.", when(&h.set_at), h.set_by, h.reason)}
                </span></Alert>
            }
        })
}

#[component]
fn BackupList(
    page: TenantBackups,
    backup_now: ServerAction<RequestTenantBackup>,
    verify: ServerAction<VerifyTenantBackup>,
    drill: ServerAction<TestTenantRestore>,
) -> impl IntoView {
    let now_error = action_error(backup_now);
    let verify_error = action_error(verify);
    let drill_error = action_error(drill);
    let can_operate = page.can_operate;
    let slug = page.slug.clone();
    let form_slug = page.slug.clone();
    let rows = page.backups.clone();
    let in_flight = page.in_flight.clone();
    let older_deleted = page.older_deleted;
    view! {
        <section class="card table-card" aria-labelledby="backups-heading">
            <div class="table-toolbar">
                <h2 id="backups-heading">"Backups"</h2>
                {can_operate.then(|| view! {
                    <ActionForm action=backup_now attr:class="inline-form" attr:data-testid="backup-now-form">
                        <input type="hidden" name="slug" value=form_slug.clone()/>
                        <button type="submit" class="btn btn-primary">"Back up now"</button>
                    </ActionForm>
                })}
            </div>
            <p class="muted">
                "Each backup holds the portal's part of the tenant (declared state, configuration with secrets still sealed, versions, endpoint inventory) and the executor's reference to its data snapshot. Bundles are written to "
                <code data-testid="backup-target">{page.target.clone()}</code>
                ". A backup runs in the tenant's maintenance window unless its policy says otherwise."
            </p>
            <FormErrors error=now_error/>
            <FormErrors error=verify_error/>
            <FormErrors error=drill_error/>
            {(!in_flight.is_empty()).then(|| view! {
                <div class="card-section">
                <ul class="plain-list" data-testid="backups-in-flight">
                    {in_flight.into_iter().map(|c| view! {
                        <li>
                            <a href=format!("/changes/{}", c.id)>{c.title.clone()}</a>
                            " " <span class="badge tone-info">{c.status.replace('_', " ")}</span>
                            " " <span class="muted">{c.schedule_reason.clone()}</span>
                            <ProgressBar percent=c.progress label=format!("{} progress", c.title)/>
                        </li>
                    }).collect_view()}
                </ul>
                </div>
            })}
            {if rows.is_empty() {
                view! { <p class="muted" data-testid="backups-empty">"No backups yet. Back up now, or set a schedule below."</p> }.into_any()
            } else {
                view! {
                    <table class="table table-compact" data-testid="backup-table">
                        <thead><tr>
                            <th scope="col">"Taken (UTC)"</th>
                            <th scope="col">"Class"</th>
                            <th scope="col">"Holds"</th>
                            <th scope="col">"Size, SHA-256"</th>
                            <th scope="col" title="Verify re-hashes the bundle; a restore test restores it into a scratch target and checks it there (the tenant is not touched)">"Verified · restore test"</th>
                            <th scope="col">"Expires"</th>
                            {can_operate.then(|| view! { <th scope="col">"Actions"</th> })}
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|b| {
                                let status = VerifyStatus::parse(&b.verify_status).unwrap_or(VerifyStatus::Unverified);
                                let deleted = b.deleted_at.is_some();
                                let drillable = drill_refusal(&b.verify_status, deleted).is_none();
                                let short = b.sha256.chars().take(10).collect::<String>();
                                let contents = contents_text(&b);
                                let row_slug = slug.clone();
                                let drill_slug = slug.clone();
                                view! {
                                    <tr data-testid="backup-row" data-backup=b.id.to_string()>
                                        <td class="nowrap">{when(&b.taken_at)}</td>
                                        <td>{class_label(&b.retention_class)}</td>
                                        <td class="excerpt">
                                            <strong>{kind_label(&b.kind)}</strong><br/>
                                            <span class="muted">{contents}</span>
                                            {b.data_snapshot.clone().map(|s| view! { <br/><span class="muted">"Data: "</span><code title=s.clone()>{s.clone()}</code> })}
                                        </td>
                                        <td class="nowrap">{size(b.size_bytes)}<br/><code title=format!("SHA-256 {}\n{}", b.sha256, b.location)>{short}"…"</code></td>
                                        <td>
                                            <span class=format!("badge {}", verify_tone(status)) data-testid="verify-status" title=b.verify_message.clone()>{status.label()}</span>
                                            {b.verified_at.map(|at| view! { <br/><span class="muted nowrap">{when(&at)}</span> })}
                                            <br/><RestoreTestCell test=b.restore_test.clone()/>
                                        </td>
                                        <td class="nowrap">
                                            {if deleted {
                                                view! { <span class="badge tone-neutral" title=b.delete_reason.clone().unwrap_or_default()>"Deleted"</span> }.into_any()
                                            } else {
                                                view! { <span title=b.expires_at.map(|at| format!("{} UTC", when(&at)))>{b.expires_at.map(|at| at.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "Kept".into())}</span> }.into_any()
                                            }}
                                        </td>
                                        {can_operate.then(|| view! {
                                            <td>
                                                {(!deleted).then(|| view! {
                                                    <ActionForm action=verify attr:class="inline-form" attr:data-testid="verify-form">
                                                        <input type="hidden" name="slug" value=row_slug.clone()/>
                                                        <input type="hidden" name="backup_id" value=b.id.to_string()/>
                                                        <button type="submit" class="btn btn-secondary btn-small">"Verify"</button>
                                                    </ActionForm>
                                                })}
                                                {drillable.then(|| view! {
                                                    <ActionForm action=drill attr:class="inline-form" attr:data-testid="restore-test-form">
                                                        <input type="hidden" name="slug" value=drill_slug.clone()/>
                                                        <input type="hidden" name="backup_id" value=b.id.to_string()/>
                                                        <button type="submit" class="btn btn-secondary btn-small" title="Restore this backup into a scratch target, run the health baseline there, tear it down">"Test restore"</button>
                                                    </ActionForm>
                                                })}
                                            </td>
                                        })}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(older_deleted > 0).then(|| view! {
                        <p class="muted" data-testid="older-deleted">{format!(
                            "{older_deleted} older records of backups retention deleted are not listed; each deletion is in the audit trail (action backup.prune)."
                        )}</p>
                    })}
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn RestoreForm(page: TenantBackups, restore: ServerAction<RestoreTenantBackup>) -> impl IntoView {
    let error = action_error(restore);
    let field_error = move |field: &'static str| field_message(error, field);
    let choices: Vec<(String, String)> = page
        .backups
        .iter()
        .filter(|b| b.deleted_at.is_none())
        .map(|b| {
            let status = VerifyStatus::parse(&b.verify_status).unwrap_or(VerifyStatus::Unverified);
            (
                b.id.to_string(),
                format!(
                    "{} · {} · {} · {}",
                    when(&b.taken_at),
                    class_label(&b.retention_class),
                    kind_label(&b.kind),
                    status.label()
                ),
            )
        })
        .collect();
    let slug = page.slug.clone();
    view! {
        <section class="card" id="restore" aria-labelledby="restore-heading">
            <h2 id="restore-heading">"Restore from a backup"</h2>
            <p class="muted">"The bundle's checksum is checked first; then the tenant is restored in maintenance: its configuration and versions are put back exactly as they were (the History tab names the restore), the executor restores its data, and its health baseline runs before it is active again."</p>
            <FormErrors error/>
            <ActionForm action=restore attr:class="form" attr:novalidate=true attr:data-testid="restore-form">
                <input type="hidden" name="slug" value=slug.clone()/>
                <SelectField name="backup_id" label="Backup" options=choices empty="Choose a backup…" error=field_error("backup_id")/>
                <TextField name="confirm" label="Type the tenant's slug to confirm" placeholder="the slug" error=field_error("confirm")/>
                <TextField name="note" label="Note" placeholder="Why (optional)" error=field_error("note")/>
                <div class="form-actions"><button type="submit" class="btn btn-danger">"Restore"</button></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ScheduleForm(page: TenantBackups, schedule: ServerAction<SetBackupSchedule>) -> impl IntoView {
    let error = action_error(schedule);
    let field_error = move |field: &'static str| field_message(error, field);
    let saved = move || schedule.value().get().is_some_and(|r| r.is_ok());
    view! {
        <section class="card" id="schedule" aria-labelledby="schedule-heading">
            <h2 id="schedule-heading">"Schedule and retention"</h2>
            <p class="muted">"One scheduled backup a day at most, in the tenant's maintenance window: a monthly archive once a month, a weekly full once a week, a daily otherwise. Each is kept for its count of periods (7 dailies: 7 days); 0 takes none of that class. Manual backups are kept 90 days. A restore test restores the latest verified backup into a scratch target beside the tenant (in its region), runs its health baseline there and tears it down; 0 tests only when asked."</p>
            <FormErrors error/>
            {move || saved().then(|| view! { <Alert tone="success">"Schedule saved."</Alert> })}
            <ActionForm action=schedule attr:class="form form-grid" attr:novalidate=true attr:data-testid="schedule-form">
                <input type="hidden" name="slug" value=page.slug.clone()/>
                <TextField name="keep_daily" label="Daily backups kept" input_type="number" value=page.keep_daily.to_string() error=field_error("keep_daily")/>
                <TextField name="keep_weekly" label="Weekly backups kept" input_type="number" value=page.keep_weekly.to_string() error=field_error("keep_weekly")/>
                <TextField name="keep_monthly" label="Monthly archives kept" input_type="number" value=page.keep_monthly.to_string() error=field_error("keep_monthly")/>
                <TextField name="restore_test_days" label="Test a restore every (days)" input_type="number" value=page.restore_test_days.to_string() error=field_error("restore_test_days")/>
                <div class="form-actions"><button type="submit" class="btn btn-secondary">"Save schedule"</button></div>
            </ActionForm>
        </section>
    }
}

/// A tenant's legal holds and, for whoever may, the form that sets or lifts
/// one (on the Backups and Offboarding tabs).
#[component]
pub(crate) fn LegalHoldCard(
    slug: String,
    holds: Vec<LegalHoldRow>,
    can_hold: bool,
    hold: ServerAction<LegalHoldOfTenant>,
) -> impl IntoView {
    let error = action_error(hold);
    let reason_error = field_message(error, "reason");
    let standing = holds.iter().any(|h| h.lifted_at.is_none());
    let history = holds;
    view! {
        <section class="card" id="legal-hold" aria-labelledby="hold-heading">
            <h2 id="hold-heading">"Legal hold"</h2>
            {if history.is_empty() {
                view! { <p class="muted" data-testid="legal-hold-none">"No legal hold has been set on this tenant."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list" data-testid="legal-hold-history">
                        {history.into_iter().map(|h| view! {
                            <li>
                                {if h.lifted_at.is_none() { view! { <span class="badge tone-attention">"Standing"</span> }.into_any() } else { view! { <span class="badge tone-neutral">"Lifted"</span> }.into_any() }}
                                " " {format!("{} by {}: {}", when(&h.set_at), h.set_by, h.reason)}
                                {h.lifted_at.map(|at| view! { <br/><span class="muted">{format!("Lifted {} by {}: {}", when(&at), h.lifted_by.clone().unwrap_or_default(), h.lift_reason.clone().unwrap_or_default())}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {can_hold.then(|| view! {
                <FormErrors error/>
                <ActionForm action=hold attr:class="form" attr:novalidate=true attr:data-testid="legal-hold-form">
                    <input type="hidden" name="slug" value=slug.clone()/>
                    {standing.then(|| view! { <input type="hidden" name="lift" value="1"/> })}
                    <TextField name="hold_reason" label=if standing { "Why lift it" } else { "Why hold" } placeholder="e.g. litigation case 2026-114" error=reason_error/>
                    <div class="form-actions">
                        <button type="submit" class=if standing { "btn btn-secondary" } else { "btn btn-danger" }>{if standing { "Lift the legal hold" } else { "Set a legal hold" }}</button>
                    </div>
                </ActionForm>
            })}
        </section>
    }
}
