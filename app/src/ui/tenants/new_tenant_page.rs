//! Onboarding: one form in three steps (record, contacts & external ids,
//! placement & plan); the tenant starts as a draft.

use leptos::prelude::*;
use server_fn::ServerFn;

use crate::api::tenants::{CreateTenant, FormOptions, tenant_form_options};
use crate::domain::tenant::{DeploymentKind, Environment, IsolationMode};
use crate::error::AppError;
use crate::ui::components::form::url_error_for;
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn NewTenantPage() -> impl IntoView {
    let create = ServerAction::<CreateTenant>::new();
    let url_error = url_error_for(<CreateTenant as ServerFn>::PATH);
    let error = Memo::new(move |_| {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| url_error.get())
    });
    let options = Resource::new(|| (), |_| tenant_form_options());
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/tenants">"Tenants"</a>" / Onboard"</nav>
        <PageHeader title="Onboard tenant" description="Creates the tenant as a draft; activate it from its page once the record is complete."/>
        {move || error.get().map(|e| match e {
            AppError::Validation(fields) => view! {
                <Alert tone="danger">
                    <strong>"Please correct the highlighted fields:"</strong>
                    <ul>{fields.into_iter().map(|f| view! { <li><a href=format!("#field-{}", f.field)>{f.message}</a></li> }).collect_view()}</ul>
                </Alert>
            }.into_any(),
            other => view! { <Alert tone="danger">{other.to_string()}</Alert> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(options) => view! { <OnboardingForm create options error/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OnboardingForm(
    create: ServerAction<CreateTenant>,
    options: FormOptions,
    error: Memo<Option<AppError>>,
) -> impl IntoView {
    let err = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.field_errors().for_field(field).map(str::to_owned))
        }
    };
    let text = move |field: &'static str,
                     label: &'static str,
                     required: bool,
                     help: Option<&'static str>| {
        let id = format!("field-{field}");
        view! {
            <div class="field" class:field-invalid=move || err(field)().is_some()>
                <label for=id.clone()>{label}{required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
                {move || err(field)().map(|m| view! { <p class="field-error" id=format!("err-{field}")><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <input id=id name=format!("form[{field}]") required=required aria-invalid=move || err(field)().is_some().then_some("true")
                    aria-describedby=move || err(field)().map(|_| format!("err-{field}"))/>
                {help.map(|h| view! { <p class="field-help">{h}</p> })}
            </div>
        }
    };
    let select = move |field: &'static str, label: &'static str, choices: Vec<(String, String)>| {
        let id = format!("field-{field}");
        view! {
            <div class="field" class:field-invalid=move || err(field)().is_some()>
                <label for=id.clone()>{label}<span class="required" aria-hidden="true">" *"</span></label>
                {move || err(field)().map(|m| view! { <p class="field-error"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <select id=id name=format!("form[{field}]")>
                    {choices.into_iter().map(|(value, text)| view! { <option value=value>{text}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    let regions: Vec<(String, String)> = options
        .regions
        .iter()
        .map(|r| (r.clone(), r.clone()))
        .collect();
    let all_regions = options.regions.join(", ");
    view! {
        <ActionForm action=create attr:class="form onboarding" attr:novalidate=true>
            <fieldset class="card">
                <legend>"1 · Record"</legend>
                {text("customer", "Customer", true, Some("The buying organisation; a new name creates the customer."))}
                {text("display_name", "Display name", true, None)}
                {text("slug", "Slug", true, Some("3–63 lowercase letters, digits and hyphens; starts with a letter. Used in URLs and host names."))}
                {select("environment", "Environment", Environment::ALL.iter().map(|e| (e.as_str().to_owned(), e.label().to_owned())).collect())}
                {select("deployment_kind", "Deployment kind", DeploymentKind::ALL.iter().map(|k| (k.as_str().to_owned(), format!("{} — {}", k.label(), k.description()))).collect())}
                {select("isolation_mode", "Isolation", IsolationMode::ALL.iter().map(|m| (m.as_str().to_owned(), m.label().to_owned())).collect())}
                {text("labels", "Labels", false, Some("Comma-separated, e.g. pilot, emea."))}
            </fieldset>
            <fieldset class="card">
                <legend>"2 · Contacts & external ids"</legend>
                {text("contact_technical", "Technical contact", false, Some("Email address."))}
                {text("contact_billing", "Billing contact", false, Some("Email address."))}
                {text("contact_incident", "Incident contact", false, Some("Email address."))}
                {text("external_crm", "CRM id", false, None)}
                {text("external_billing", "Billing id", false, None)}
            </fieldset>
            <fieldset class="card">
                <legend>"3 · Placement & plan"</legend>
                {select("plan_code", "Plan", options.plans.clone())}
                {select("region", "Region", regions)}
                {text("allowed_regions", "Allowed regions", true, Some("Comma-separated; the region must be one of them (data residency)."))}
                <p class="field-help">"Configured regions: " {all_regions}</p>
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create draft tenant"</button>
                <a class="btn btn-secondary" href="/tenants">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
