//! `/plans`: the vendor's plan catalogue — each plan's features and quotas
//! and how many tenants are on it — with the form that creates a plan or
//! edits the one chosen (`?edit=code`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::plans::{Plan, SaveLicenceTemplate, SavePlan, get_licence_templates, plan_catalog};
use crate::domain::plans::licence::LicenceType;
use crate::domain::plans::plan::{FeatureFlag, Quota};
use crate::error::AppError;
use crate::ui::components::form::{FormErrors, TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::time::utc_or_dash;

use super::limit_text;

#[component]
pub fn PlansPage() -> impl IntoView {
    let save = ServerAction::<SavePlan>::new();
    let data = Resource::new(move || save.version().get(), |_| plan_catalog());
    let query = use_query_map();
    let editing = Memo::new(move |_| query.read().get("edit").unwrap_or_default());
    let error = action_error(save);
    view! {
        <PageHeader title="Plans" description="What each plan includes (features) and how much (quotas). A tenant's limits are its plan's, with the overrides set on its Limits tab; quotas are checked where users, endpoints and webhooks are created and where changes start."/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading plans…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(catalog) => {
                        let chosen = catalog.view.iter().find(|p| p.code == editing.get()).cloned();
                        view! {
                            <PlanTable plans=catalog.view.clone() may_edit=catalog.may.edit/>
                            {catalog.may.edit.then(|| view! { <PlanFormCard plan=chosen save error/> <LicenceTemplates/> })}
                        }.into_any()
                    }
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/plans">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn PlanTable(plans: Vec<Plan>, may_edit: bool) -> impl IntoView {
    if plans.is_empty() {
        return view! { <section class="card"><p class="muted">"No plans yet: create the first below."</p></section> }.into_any();
    }
    view! {
        <section class="card table-card" aria-labelledby="plans-heading">
            <h2 id="plans-heading">"Catalogue"</h2>
            <div class="table-scroll">
            <table class="table table-compact" data-testid="plans-table">
                <thead><tr>
                    <th scope="col">"Plan"</th>
                    <th scope="col">"Features"</th>
                    {Quota::ALL.into_iter().map(|q| view! { <th scope="col" class="num">{q.label()}</th> }).collect_view()}
                    <th scope="col" class="num">"Tenants"</th>
                    <th scope="col">"Edited"</th>
                    {may_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                </tr></thead>
                <tbody>
                    {plans.into_iter().map(|p| {
                        let code = p.code.clone();
                        view! {
                            <tr id=format!("plan-{}", p.code) data-testid=format!("plan-{}", p.code)>
                                <td><strong>{p.name.clone()}</strong><br/><code>{p.code.clone()}</code>
                                    {(!p.description.is_empty()).then(|| view! { <br/><span class="muted">{p.description.clone()}</span> })}</td>
                                <td><span class="chips">{p.feature_flags.iter().map(|f| view! { <span class="chip" title=f.label()>{f.as_str()}</span> }).collect_view()}</span></td>
                                {p.quotas.iter().map(|q| view! { <td class="num">{limit_text(q.limit)}</td> }).collect_view()}
                                <td class="num">{p.tenants}</td>
                                <td>{utc_or_dash(p.updated_at.as_ref())}</td>
                                {may_edit.then(|| view! { <td><a class="btn btn-secondary btn-small" href=format!("/plans?edit={code}#plan-form")>"Edit"</a></td> })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn PlanFormCard(
    plan: Option<Plan>,
    save: ServerAction<SavePlan>,
    error: Memo<Option<AppError>>,
) -> impl IntoView {
    let field_error = move |field: &'static str| field_message(error, field);
    let editing = plan.as_ref().map(|p| p.code.clone()).unwrap_or_default();
    let title = match &plan {
        Some(p) => format!("Edit {}", p.name),
        None => "New plan".to_owned(),
    };
    let flags: Vec<FeatureFlag> = plan
        .as_ref()
        .map(|p| p.feature_flags.clone())
        .unwrap_or_default();
    let has = move |flag: FeatureFlag| flags.contains(&flag);
    let quotas = plan.as_ref().map(|p| p.quotas.clone()).unwrap_or_default();
    let quota_value = move |quota: Quota| {
        Some(&quotas)
            .and_then(|qs| qs.iter().find(|q| q.quota == quota).and_then(|q| q.limit))
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    view! {
        <section class="card" id="plan-form" aria-labelledby="plan-form-heading">
            <h2 id="plan-form-heading">{title}</h2>
            <p class="muted">"Leave a quota empty for unlimited. Changes apply to every tenant on the plan at once; quotas are checked when something new is created, so a tenant already over a lowered quota keeps what it has."</p>
            <FormErrors error/>
            <ActionForm action=save attr:class="form form-grid" attr:novalidate=true attr:data-testid="plan-form">
                <input type="hidden" name="editing" value=editing.clone()/>
                {if editing.is_empty() {
                    view! { <TextField name="code" label="Code" placeholder="growth" help="Lower-case letters, digits and dashes; it cannot change later." error=field_error("code")/> }.into_any()
                } else {
                    view! { <input type="hidden" name="code" value=editing.clone()/> }.into_any()
                }}
                <TextField name="name" label="Name" value=plan.as_ref().map(|p| p.name.clone()).unwrap_or_default() error=field_error("name")/>
                <TextField name="description" label="Description" value=plan.as_ref().map(|p| p.description.clone()).unwrap_or_default() error=field_error("description")/>
                <fieldset class="span-all plain-fieldset">
                    <legend>"Features"</legend>
                    {FeatureFlag::ALL.into_iter().map(|flag| {
                        let id = format!("flag-{}", flag.as_str());
                        view! {
                            <div class="checkbox-row">
                                <input type="checkbox" id=id.clone() name=flag.as_str() value="on" checked=has(flag)/>
                                <label for=id>{flag.label()} " " <code>{flag.as_str()}</code></label>
                            </div>
                        }
                    }).collect_view()}
                    {move || field_error("feature_flags").get().map(|m| view! { <p class="field-error">{m}</p> })}
                </fieldset>
                {Quota::ALL.into_iter().map(|quota| {
                    let field = format!("quotas.{}", quota.as_str());
                    let message = Signal::derive(move || error.get().and_then(|e| e.field_errors().for_field(&field).map(str::to_owned)));
                    view! {
                        <div class="field">
                            <label for=format!("field-{}", quota.as_str())>{quota.label()}</label>
                            <input id=format!("field-{}", quota.as_str()) name=quota.as_str() inputmode="numeric" value=quota_value(quota) placeholder="Unlimited"/>
                            {move || message.get().map(|m| view! { <p class="field-error">{m}</p> })}
                        </div>
                    }
                }).collect_view()}
                <div class="form-actions span-all">
                    <button type="submit" class="btn btn-primary">{if editing.is_empty() { "Create plan" } else { "Save plan" }}</button>
                    {(!editing.is_empty()).then(|| view! { <a class="btn btn-secondary" href="/plans">"Cancel"</a> })}
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// The vendor's licence templates and the form that creates or edits one
/// (by key).
#[component]
fn LicenceTemplates() -> impl IntoView {
    let save = ServerAction::<SaveLicenceTemplate>::new();
    let data = Resource::new(move || save.version().get(), |_| get_licence_templates());
    let error = action_error(save);
    let field_error = move |field: &'static str| field_message(error, field);
    let types: Vec<(String, String)> = LicenceType::ALL
        .into_iter()
        .map(|t| (t.as_str().to_owned(), t.label().to_owned()))
        .collect();
    view! {
        <section class="card table-card" id="licence-templates" aria-labelledby="licence-templates-heading">
            <h2 id="licence-templates-heading">"Licence templates"</h2>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading templates…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(templates) if templates.is_empty() => view! { <p class="muted">"No templates yet: create one below, then assign it on a tenant's Limits tab."</p> }.into_any(),
                        Ok(templates) => view! {
                            <table class="table table-compact" data-testid="licence-templates">
                                <thead><tr>
                                    <th scope="col">"Template"</th><th scope="col">"Type"</th><th scope="col">"Products"</th>
                                    <th scope="col" class="num">"Seats"</th><th scope="col" class="num">"Term"</th><th scope="col">"Features"</th>
                                </tr></thead>
                                <tbody>
                                    {templates.into_iter().map(|t| view! {
                                        <tr data-testid=format!("template-{}", t.key)>
                                            <td><strong>{t.name.clone()}</strong><br/><code>{t.key.clone()}</code></td>
                                            <td>{t.licence_type.label()}</td>
                                            <td>{t.products.join(", ")}</td>
                                            <td class="num">{t.seats}</td>
                                            <td class="num">{t.term_days.map_or_else(|| "—".to_owned(), |d| format!("{d} days"))}</td>
                                            <td><span class="chips">{t.features.iter().map(|f| view! { <span class="chip">{f.clone()}</span> }).collect_view()}</span></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="card-section">
            <h3>"New or edited template"</h3>
            <p class="muted">"A template with an existing key is edited; licences already assigned keep the terms they were signed with."</p>
            <FormErrors error/>
            <ActionForm action=save attr:class="form form-grid" attr:novalidate=true attr:data-testid="licence-template-form">
                <TextField name="key" label="Key" placeholder="edge-pro-annual" error=field_error("key")/>
                <TextField name="template_name" label="Template name" placeholder="Edge Pro (annual)" error=field_error("name")/>
                <crate::ui::components::form::SelectField name="licence_type" label="Type" options=types.clone() error=field_error("licence_type")/>
                <TextField name="products" label="Products" placeholder="edge-gateway, core" help="Product keys, comma-separated." error=field_error("products")/>
                <TextField name="seats" label="Seats" placeholder="50" error=field_error("seats")/>
                <TextField name="term_days" label="Term (days)" placeholder="365" help="Not for perpetual licences." error=field_error("term_days")/>
                <TextField name="features" label="Licensed features" placeholder="offline-mode" help="Comma-separated; the installation reads them." error=field_error("features")/>
                <div class="form-actions"><button type="submit" class="btn btn-primary">"Save template"</button></div>
            </ActionForm>
            </div>
        </section>
    }
    .into_any()
}
