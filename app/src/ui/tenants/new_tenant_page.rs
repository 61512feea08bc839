//! Onboarding wizard: record → contacts & external ids → placement & plan →
//! review. Each step is a plain GET form carrying the values so far, so the
//! wizard works before hydration and every step has its own URL; leaving a
//! step checks its fields on the server, and the review step creates the
//! tenant as a draft.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::api::tenants::{
    CreateTenant, FormOptions, NewTenantForm, ONBOARDING_STEPS, check_onboarding,
    onboarding_step_of, tenant_form_options,
};
use crate::domain::tenants::tenant::DeploymentKind;
use crate::domain::tenants::tenant::Environment;
use crate::domain::tenants::tenant::IsolationMode;
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::ui::components::form::action_error;
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::url::encode_query_value;

const REVIEW_STEP: usize = ONBOARDING_STEPS.len();

/// The form's fields in wizard order, with their values.
fn fields(form: &NewTenantForm) -> [(&'static str, &str); 15] {
    [
        ("customer", &form.customer),
        ("display_name", &form.display_name),
        ("slug", &form.slug),
        ("environment", &form.environment),
        ("deployment_kind", &form.deployment_kind),
        ("isolation_mode", &form.isolation_mode),
        ("labels", &form.labels),
        ("contact_technical", &form.contact_technical),
        ("contact_billing", &form.contact_billing),
        ("contact_incident", &form.contact_incident),
        ("external_crm", &form.external_crm),
        ("external_billing", &form.external_billing),
        ("plan_code", &form.plan_code),
        ("region", &form.region),
        ("allowed_regions", &form.allowed_regions),
    ]
}

fn form_from_query(query: &ParamsMap) -> NewTenantForm {
    let get = |key: &str| query.get(key).unwrap_or_default();
    NewTenantForm {
        customer: get("customer"),
        slug: get("slug"),
        display_name: get("display_name"),
        environment: get("environment"),
        deployment_kind: get("deployment_kind"),
        isolation_mode: get("isolation_mode"),
        plan_code: get("plan_code"),
        region: get("region"),
        allowed_regions: get("allowed_regions"),
        contact_technical: get("contact_technical"),
        contact_billing: get("contact_billing"),
        contact_incident: get("contact_incident"),
        external_crm: get("external_crm"),
        external_billing: get("external_billing"),
        labels: get("labels"),
    }
}

/// The wizard URL of `step` with every value collected so far.
fn step_href(form: &NewTenantForm, step: usize) -> String {
    let mut href = format!("/tenants/new?step={step}");
    for (name, value) in fields(form) {
        if !value.is_empty() {
            href.push_str(&format!("&{name}={}", encode_query_value(value)));
        }
    }
    href
}

#[component]
pub fn NewTenantPage() -> impl IntoView {
    let query = use_query_map();
    let form = Memo::new(move |_| form_from_query(&query.read()));
    let requested_step = Memo::new(move |_| {
        query
            .read()
            .get("step")
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, REVIEW_STEP)
    });
    // Reaching step N needs steps 1..N-1 to be valid.
    let earlier_steps = Resource::new(
        move || (form.get(), requested_step.get()),
        |(form, step)| async move {
            if step <= 1 {
                Ok(())
            } else {
                check_onboarding(form, step - 1).await
            }
        },
    );
    let options = Resource::new(|| (), |_| tenant_form_options());
    let create = ServerAction::<CreateTenant>::new();
    // A failed create belongs to the values it was made with; new values clear it.
    Effect::watch(
        move || form.get(),
        move |_, _, _| create.value().set(None),
        false,
    );
    let create_error = action_error(create);
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/tenants">"Tenants"</a>" / Onboard"</nav>
        <PageHeader title="Onboard tenant" description="Creates the tenant as a draft; activate it from its page once the record is complete."/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let options = match options.await {
                    Ok(options) => options,
                    Err(e) => return view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                };
                let (step, errors) = match earlier_steps.await {
                    Ok(()) => (requested_step.get(), vec![]),
                    Err(AppError::Validation(errors)) => {
                        let first = errors.iter().map(|e| onboarding_step_of(&e.field)).min().unwrap_or(1);
                        (first.min(requested_step.get()), errors)
                    }
                    Err(e) => return view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                };
                view! { <Wizard form=form.get() options step errors create create_error/> }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Wizard(
    form: NewTenantForm,
    options: FormOptions,
    step: usize,
    errors: Vec<FieldError>,
    create: ServerAction<CreateTenant>,
    create_error: Memo<Option<AppError>>,
) -> impl IntoView {
    view! {
        <ol class="stepper" aria-label="Onboarding steps">
            {ONBOARDING_STEPS.iter().enumerate().map(|(index, (title, _))| {
                let number = index + 1;
                let state = match number.cmp(&step) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "todo",
                };
                let label = view! { <span class="step-number" aria-hidden="true">{number}</span>{*title} };
                view! {
                    <li class=format!("step step-{state}") aria-current=(state == "current").then_some("step")>
                        {if state == "done" {
                            view! { <a href=step_href(&form, number)>{label}</a> }.into_any()
                        } else {
                            view! { <span>{label}</span> }.into_any()
                        }}
                    </li>
                }
            }).collect_view()}
        </ol>
        {(!errors.is_empty()).then(|| {
            let summary = errors.clone();
            view! {
            <Alert tone="danger">
                <strong>"Please correct the highlighted fields:"</strong>
                <ul>{summary.iter().map(|f| view! { <li><a href=format!("#field-{}", f.field)>{f.message.clone()}</a></li> }).collect_view()}</ul>
            </Alert>
        }})}
        {if step == REVIEW_STEP {
            view! { <Review form options create create_error/> }.into_any()
        } else {
            view! { <StepForm form options step errors/> }.into_any()
        }}
    }
}

/// One data-entry step: its own fields visible, every other value hidden.
#[component]
fn StepForm(
    form: NewTenantForm,
    options: FormOptions,
    step: usize,
    errors: Vec<FieldError>,
) -> impl IntoView {
    let (title, own_fields) = ONBOARDING_STEPS[step - 1];
    let value_of = |name: &str| {
        fields(&form)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default()
    };
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.clone())
    };
    let field = |name: &'static str,
                 label: &'static str,
                 required: bool,
                 help: Option<&'static str>| {
        let error = error_of(name);
        let id = format!("field-{name}");
        view! {
            <div class="field" class:field-invalid=error.is_some()>
                <label for=id.clone()>{label}{required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
                {error.clone().map(|m| view! { <p class="field-error" id=format!("err-{name}")><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <input id=id name=name value=value_of(name) aria-invalid=error.is_some().then_some("true")
                    aria-describedby=error.is_some().then(|| format!("err-{name}")) autofocus=error.is_some()/>
                {help.map(|h| view! { <p class="field-help">{h}</p> })}
            </div>
        }
    };
    let select = |name: &'static str, label: &'static str, choices: Vec<(String, String)>| {
        let error = error_of(name);
        let current = value_of(name);
        let invalid = error.is_some();
        view! {
            <div class="field" class:field-invalid=invalid>
                <label for=format!("field-{name}")>{label}<span class="required" aria-hidden="true">" *"</span></label>
                {error.map(|m| view! { <p class="field-error"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <select id=format!("field-{name}") name=name>
                    {choices.into_iter().map(|(value, text)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </div>
        }
    };
    let hidden: Vec<_> = fields(&form)
        .into_iter()
        .filter(|(name, value)| !own_fields.contains(name) && !value.is_empty())
        .map(|(name, value)| view! { <input type="hidden" name=name value=value.to_owned()/> })
        .collect();
    let body = match step {
        1 => view! {
            {field("customer", "Customer", true, Some("The buying organisation; a new name creates the customer."))}
            {field("display_name", "Display name", true, None)}
            {field("slug", "Slug", true, Some("3–63 lowercase letters, digits and hyphens; starts with a letter. Used in URLs and host names; it never changes."))}
            {select("environment", "Environment", Environment::ALL.iter().map(|e| (e.as_str().to_owned(), e.label().to_owned())).collect())}
            {select("deployment_kind", "Deployment kind", DeploymentKind::ALL.iter().map(|k| (k.as_str().to_owned(), format!("{} — {}", k.label(), k.description()))).collect())}
            {select("isolation_mode", "Isolation", IsolationMode::ALL.iter().map(|m| (m.as_str().to_owned(), m.label().to_owned())).collect())}
            {field("labels", "Labels", false, Some("Comma-separated, e.g. pilot, emea."))}
        }.into_any(),
        2 => view! {
            {field("contact_technical", "Technical contact", false, Some("Email address."))}
            {field("contact_billing", "Billing contact", false, Some("Email address."))}
            {field("contact_incident", "Incident contact", false, Some("Email address."))}
            {field("external_crm", "CRM id", false, Some("The id of this tenant in the CRM, to find it from there."))}
            {field("external_billing", "Billing id", false, None)}
        }.into_any(),
        _ => view! {
            {select("plan_code", "Plan", options.plans.clone())}
            {select("region", "Region", options.regions.iter().map(|r| (r.clone(), r.clone())).collect())}
            {field("allowed_regions", "Allowed regions", true, Some("Comma-separated; the region must be one of them (data residency)."))}
            <p class="field-help">"Configured regions: " {options.regions.join(", ")}</p>
        }.into_any(),
    };
    view! {
        <form method="get" action="/tenants/new" class="form onboarding" novalidate=true>
            {hidden}
            <fieldset class="card">
                <legend>{format!("{step} · {title}")}</legend>
                {body}
            </fieldset>
            // "Next" comes first so that Enter in a field moves forward.
            <div class="form-actions form-actions-wizard">
                <button type="submit" class="btn btn-primary" name="step" value=(step + 1).to_string()>
                    {if step + 1 == REVIEW_STEP { "Review" } else { "Next" }}
                </button>
                {(step > 1).then(|| view! {
                    <button type="submit" class="btn btn-secondary" name="step" value=(step - 1).to_string()>"Back"</button>
                })}
                <a class="btn btn-link" href="/tenants">"Cancel"</a>
            </div>
        </form>
    }
}

/// Everything entered, per step with a link to change it, and the create button.
#[component]
fn Review(
    form: NewTenantForm,
    options: FormOptions,
    create: ServerAction<CreateTenant>,
    create_error: Memo<Option<AppError>>,
) -> impl IntoView {
    let plan_name = options
        .plans
        .iter()
        .find(|(code, _)| *code == form.plan_code)
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| form.plan_code.clone());
    let labels: [(&str, &str); 15] = [
        ("customer", "Customer"),
        ("display_name", "Display name"),
        ("slug", "Slug"),
        ("environment", "Environment"),
        ("deployment_kind", "Deployment kind"),
        ("isolation_mode", "Isolation"),
        ("labels", "Labels"),
        ("contact_technical", "Technical contact"),
        ("contact_billing", "Billing contact"),
        ("contact_incident", "Incident contact"),
        ("external_crm", "CRM id"),
        ("external_billing", "Billing id"),
        ("plan_code", "Plan"),
        ("region", "Region"),
        ("allowed_regions", "Allowed regions"),
    ];
    let shown = |name: &str, value: &str| -> String {
        match (name, value) {
            ("plan_code", _) => plan_name.clone(),
            (_, "") => "—".to_owned(),
            (_, value) => value.to_owned(),
        }
    };
    let sections = ONBOARDING_STEPS[..REVIEW_STEP - 1]
        .iter()
        .enumerate()
        .map(|(index, (title, step_fields))| {
            let rows = fields(&form)
                .into_iter()
                .filter(|(name, _)| step_fields.contains(name))
                .map(|(name, value)| {
                    let label = labels.iter().find(|(n, _)| *n == name).map_or(name, |(_, l)| l);
                    view! { <div class="review-row"><dt>{label.to_owned()}</dt><dd data-testid=format!("review-{name}")>{shown(name, value)}</dd></div> }
                })
                .collect_view();
            view! {
                <section class="card review-section">
                    <header class="review-header">
                        <h2>{format!("{} · {title}", index + 1)}</h2>
                        <a class="btn btn-sm" href=step_href(&form, index + 1)>"Change"</a>
                    </header>
                    <dl class="review-list">{rows}</dl>
                </section>
            }
        })
        .collect_view();
    let hidden = fields(&form)
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=format!("form[{name}]") value=value.to_owned()/> })
        .collect_view();
    let back = step_href(&form, REVIEW_STEP - 1);
    view! {
        {move || create_error.get().map(|e| match e {
            AppError::Validation(errors) => view! {
                <Alert tone="danger">
                    <strong>"The tenant was not created:"</strong>
                    <ul>{errors.into_iter().map(|f| view! { <li>{f.message}</li> }).collect_view()}</ul>
                </Alert>
            }.into_any(),
            other => view! { <Alert tone="danger">{other.to_string()}</Alert> }.into_any(),
        })}
        {sections}
        <ActionForm action=create attr:class="form" attr:data-testid="create-tenant-form">
            {hidden}
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create draft tenant" }}
                </button>
                <a class="btn btn-secondary" href=back>"Back"</a>
                <a class="btn btn-link" href="/tenants">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
