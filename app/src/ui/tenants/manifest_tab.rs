//! The tenant's Manifest tab: the tenant as a declarative manifest (YAML,
//! downloadable, secrets only as references), and a plan of an edited copy —
//! the field-level diff and the ordered actions with the policy's verdict on
//! each. A plan writes nothing.

use leptos::prelude::*;

use crate::api::tenants::manifests::{
    ManifestPlan, PlanTenantManifest, PlannedActionRow, TenantPlan, manifest_of_tenant,
};
use crate::ui::components::form::{FormErrors, TextAreaField, action_error, field_message};
use crate::ui::components::page::Alert;

#[component]
pub fn ManifestTab(slug: String) -> impl IntoView {
    let plan = ServerAction::<PlanTenantManifest>::new();
    let tenant = slug.clone();
    let yaml = Resource::new(|| (), move |_| manifest_of_tenant(tenant.clone()));
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's manifest…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match yaml.await {
                        Ok(text) => view! {
                            <Current slug=slug.clone() yaml=text.clone()/>
                            <PlanForm yaml=text plan/>
                        }.into_any(),
                        Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
    .into_any()
}

#[component]
fn Current(slug: String, yaml: String) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="manifest-heading" data-testid="manifest">
            <div class="card-title-row">
                <h2 id="manifest-heading">"Manifest"</h2>
                <a class="btn btn-secondary" href=format!("/api/v1/tenants/{slug}/manifest?format=yaml") download=format!("{slug}.yaml")>"Download YAML"</a>
            </div>
            <p class="muted">
                "The tenant as declared: identity, placement, plan, products with the versions they run, config (secrets only as "
                <code>"secretRef: tenantry"</code>
                "), update policy, backup schedule, secret rotation and webhooks. Check a copy into Git and plan it with "
                <code>{format!("tenantry diff -f {slug}.yaml")}</code>
                ", or edit and plan it below. The schema: "
                <a href="/api/v1/schemas/tenant-manifest.json">"tenant-manifest.json"</a>"."
            </p>
            <pre class="step-output manifest-yaml" data-testid="manifest-yaml">{yaml}</pre>
        </section>
    }
}

#[component]
fn PlanForm(yaml: String, plan: ServerAction<PlanTenantManifest>) -> impl IntoView {
    let error = action_error(plan);
    let pending = plan.pending();
    let result = move || plan.value().get().and_then(Result::ok);
    view! {
        <section class="card" id="plan" aria-labelledby="plan-heading">
            <h2 id="plan-heading">"Plan an edited manifest"</h2>
            <p class="muted">"Shows what applying it would do — the fields that would change and the change requests it would create, in order, with each one's verdict (permission, residency, end of life, quotas, approvals, the window it would start in). Nothing is written."</p>
            <FormErrors error/>
            <ActionForm action=plan attr:class="manifest-plan-form" attr:novalidate=true attr:data-testid="plan-form">
                <TextAreaField name="content" label="Manifest (YAML or JSON)" rows=18 value=yaml error=field_message(error, "content")/>
                <div>
                    <button type="submit" class="btn btn-primary" disabled=pending>
                        {move || if pending.get() { "Planning…" } else { "Plan" }}
                    </button>
                </div>
            </ActionForm>
            {move || result().map(|p| view! { <PlanResult plan=p/> })}
        </section>
    }
}

#[component]
fn PlanResult(plan: ManifestPlan) -> impl IntoView {
    view! {
        <div data-testid="plan-result">
            {plan.tenants.into_iter().map(|t| view! { <TenantPlanView plan=t/> }).collect_view()}
        </div>
    }
}

#[component]
fn TenantPlanView(plan: TenantPlan) -> impl IntoView {
    let (tone, label) = match plan.outcome.as_str() {
        "unchanged" => ("tone-success", "No changes"),
        "create" => ("tone-info", "To create"),
        _ => ("tone-attention", "To change"),
    };
    if plan.outcome == "unchanged" {
        return view! {
            <p data-testid="plan-outcome" data-outcome="unchanged">
                <span class=format!("badge {tone}")>{label}</span>
                " The tenant matches this manifest: applying it would do nothing."
            </p>
        }
        .into_any();
    }
    view! {
        <div data-testid="plan-outcome" data-outcome=plan.outcome.clone()>
            <h3>{plan.slug.clone()}" " <span class=format!("badge {tone}")>{label}</span></h3>
            {(!plan.diffs.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table class="table table-compact" data-testid="plan-diff">
                        <caption class="visually-hidden">"Fields that would change"</caption>
                        <thead><tr><th scope="col">"Field"</th><th scope="col">"Now"</th><th scope="col">"In the manifest"</th></tr></thead>
                        <tbody>
                            {plan.diffs.iter().map(|d| view! {
                                <tr>
                                    <td><code>{d.path.clone()}</code></td>
                                    <td>{d.current.clone().map(|v| view! { <code>{v}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</td>
                                    <td>{d.desired.clone().map(|v| view! { <code>{v}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"removed"</span> }.into_any())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <h4>"What would run, in order"</h4>
            <ol class="plan-actions" data-testid="plan-actions">
                {plan.actions.iter().map(|a| view! { <ActionLine action=a.clone()/> }).collect_view()}
            </ol>
        </div>
    }
    .into_any()
}

#[component]
fn ActionLine(action: PlannedActionRow) -> impl IntoView {
    let (tone, verdict) = match (&action.refusal, action.needs_approval, &action.window) {
        (Some(why), _, _) => ("tone-danger", format!("Refused: {why}")),
        (None, true, _) => (
            "tone-attention",
            "Needs approval under the tenant's update policy".to_owned(),
        ),
        (None, false, Some(window)) if action.change_request => ("tone-info", window.clone()),
        _ => (
            "tone-neutral",
            "Written at once, in one transaction".to_owned(),
        ),
    };
    let kind = if action.change_request {
        "Change request"
    } else if action.action == "create" {
        "Onboarding"
    } else {
        "Fields"
    };
    view! {
        <li data-action=action.action.clone() data-allowed=action.allowed.to_string()>
            <strong>{action.title.clone()}</strong>
            <span class="muted">{format!(" · {kind}")}</span>
            <br/>
            <span class=format!("badge {tone}")>{verdict}</span>
            {(!action.paths.is_empty()).then(|| view! {
                <span class="muted">" " {action.paths.join(", ")}</span>
            })}
        </li>
    }
}
