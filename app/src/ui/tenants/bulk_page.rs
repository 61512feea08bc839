//! Bulk lifecycle changes: a confirmation page listing which selected tenants
//! the action applies to and why the others are left alone; after the run
//! the same list reports each tenant's outcome.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::tenants::{BulkItem, BulkOutcome, RunBulk, preview_bulk};
use crate::domain::tenants::lifecycle::LifecycleAction;
use crate::ui::components::badge::StateBadge;
use crate::ui::components::form::action_error;
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn BulkPage() -> impl IntoView {
    let query = use_query_map();
    let run = ServerAction::<RunBulk>::new();
    let selection = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("action").unwrap_or_default(),
            q.get_all("ids").unwrap_or_default(),
            q.get("done").is_some(),
        )
    });
    let items = Resource::new(
        move || (selection.get(), run.version().get()),
        |((action, ids, _), _)| preview_bulk(action, ids),
    );
    let error = action_error(run);
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/tenants">"Tenants"</a>" / Bulk change"</nav>
        <PageHeader title="Bulk change"/>
        {move || error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted">"Checking the selected tenants…"</p> }>
            {move || Suspend::new(async move {
                let (action, ids, done) = selection.get_untracked();
                let done = done || run.version().get_untracked() > 0;
                match items.await {
                    Ok(_) if ids.is_empty() => view! {
                        <Alert tone="info">"No tenants were selected. " <a href="/tenants">"Back to the tenant list"</a></Alert>
                    }.into_any(),
                    Ok(items) => view! { <BulkTable action items done run/> }.into_any(),
                    Err(e) => view! {
                        <Alert tone="danger">{e.to_string()} " " <a href="/tenants">"Back to the tenant list"</a></Alert>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BulkTable(
    action: String,
    items: Vec<BulkItem>,
    done: bool,
    run: ServerAction<RunBulk>,
) -> impl IntoView {
    let label = LifecycleAction::parse(&action)
        .map(|a| a.label())
        .unwrap_or("Change");
    let eligible: Vec<String> = items
        .iter()
        .filter(|i| i.outcome == BulkOutcome::Eligible)
        .map(|i| i.slug.clone())
        .collect();
    let all: Vec<String> = items.iter().map(|i| i.slug.clone()).collect();
    let summary = if done {
        let finished = items
            .iter()
            .filter(|i| i.outcome == BulkOutcome::AlreadyDone)
            .count();
        format!(
            "{label}: {finished} of {} tenants are done; the others are listed with the reason they were left alone.",
            items.len()
        )
    } else {
        format!(
            "{label} will apply to {} of the {} selected tenants. The others are left alone, for the reason shown.",
            eligible.len(),
            items.len()
        )
    };
    view! {
        <section class="card" data-testid="bulk-summary">
            <p role="status"><strong>{summary}</strong></p>
            <table class="table" data-testid="bulk-table">
                <thead><tr><th scope="col">"Tenant"</th><th scope="col">"State now"</th><th scope="col">{if done { "Outcome" } else { "Will it change?" }}</th></tr></thead>
                <tbody>
                    {items.into_iter().map(|item| {
                        let (tone, text) = match (&item.outcome, done) {
                            (BulkOutcome::Eligible, false) => ("tone-info", "Yes".to_owned()),
                            (BulkOutcome::Eligible, true) => ("tone-attention", "Not changed yet — run it again".to_owned()),
                            (BulkOutcome::AlreadyDone, true) => ("tone-success", "✓ Done".to_owned()),
                            (BulkOutcome::AlreadyDone, false) => ("tone-neutral", "No: already done".to_owned()),
                            (BulkOutcome::Refused(reason), _) => ("tone-danger", format!("No: {reason}")),
                            (BulkOutcome::NotFound, _) => ("tone-danger", "No: tenant not found".to_owned()),
                        };
                        view! {
                            <tr>
                                <td><a href=format!("/tenants/{}", item.slug)><code>{item.slug.clone()}</code></a> " " {item.display_name.unwrap_or_default()}</td>
                                <td>{item.state.map(|state| view! { <StateBadge state/> })}</td>
                                <td><span class=format!("outcome {tone}")>{text}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(!done && !eligible.is_empty()).then(|| view! {
                <ActionForm action=run attr:class="form-actions">
                    <input type="hidden" name="action" value=action.clone()/>
                    <input type="hidden" name="slugs" value=all.join(",")/>
                    <button type="submit" class="btn btn-primary">{format!("{label} {} tenant{}", eligible.len(), if eligible.len() == 1 { "" } else { "s" })}</button>
                    <a class="btn btn-secondary" href="/tenants">"Cancel"</a>
                </ActionForm>
            })}
            {done.then(|| view! { <p><a class="btn btn-secondary" href="/tenants">"Back to the tenant list"</a></p> })}
        </section>
    }
}
