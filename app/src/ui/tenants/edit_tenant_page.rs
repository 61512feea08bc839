//! Editing a tenant's attributes, guarded by its version stamp.

use leptos::prelude::*;

use leptos_router::hooks::use_params_map;

use crate::api::tenants::{TenantDetail, UpdateTenant, get_tenant};
use crate::error::AppError;
use crate::ui::components::form::{action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn EditTenantPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let detail = Resource::new(move || slug.get(), get_tenant);
    let save = ServerAction::<UpdateTenant>::new();
    let error = action_error(save);
    view! {
        <PageHeader title="Edit tenant"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <EditForm detail save error/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditForm(
    detail: TenantDetail,
    save: ServerAction<UpdateTenant>,
    error: Memo<Option<AppError>>,
) -> impl IntoView {
    let slug = detail.row.slug.clone();
    let contacts = detail.contacts.clone();
    let contact = move |role: &str| {
        contacts
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, e)| e.clone())
            .unwrap_or_default()
    };
    let (technical, billing, incident) = (
        contact("technical"),
        contact("billing"),
        contact("incident"),
    );
    let err = move |field: &'static str| field_message(error, field);
    let general = move || {
        error
            .get()
            .filter(|e| e.field_errors().is_empty())
            .map(|e| e.to_string())
    };
    let field = move |name: &'static str,
                      label: &'static str,
                      value: String,
                      help: Option<&'static str>| {
        let id = format!("field-{name}");
        view! {
            <div class="field" class:field-invalid=move || err(name).get().is_some()>
                <label for=id.clone()>{label}</label>
                {move || err(name).get().map(|m| view! { <p class="field-error" id=format!("err-{name}")><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <input id=id name=format!("edit[{name}]") value=value aria-invalid=move || err(name).get().is_some().then_some("true")
                    aria-describedby=move || err(name).get().map(|_| format!("err-{name}"))/>
                {help.map(|h| view! { <p class="field-help">{h}</p> })}
            </div>
        }
    };
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/tenants">"Tenants"</a>" / "<a href=format!("/tenants/{slug}")>{slug.clone()}</a>" / Edit"</nav>
        {move || general().map(|m| view! { <Alert tone="danger"><span data-testid="edit-error">{m}</span></Alert> })}
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <input type="hidden" name="slug" value=slug.clone()/>
            <input type="hidden" name="version" value=detail.version.to_string()/>
            <fieldset class="card">
                <legend>"Attributes"</legend>
                {field("display_name", "Display name", detail.row.display_name.clone(), None)}
                {field("plan_code", "Plan", detail.row.plan_code.clone(), Some("Change the plan on the Limits tab: a plan change is a change request."))}
                {field("labels", "Labels", detail.labels.join(", "), Some("Comma-separated."))}
                {field("contact_technical", "Technical contact", technical, None)}
                {field("contact_billing", "Billing contact", billing, None)}
                {field("contact_incident", "Incident contact", incident, None)}
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary">"Save changes"</button>
                <a class="btn btn-secondary" href=format!("/tenants/{slug}")>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
