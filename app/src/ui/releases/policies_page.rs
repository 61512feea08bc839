//! Version policies (global → product → tenant override; the most specific
//! wins) and the grace extension requests waiting for a decision.

use leptos::prelude::*;

use crate::api::releases::compliance::ExtensionRow;
use crate::api::releases::policies::DecideExtension;
use crate::api::releases::policies::DeletePolicy;
use crate::api::releases::policies::PoliciesView;
use crate::api::releases::policies::PolicyRow;
use crate::api::releases::policies::SavePolicy;
use crate::api::releases::policies::version_policies;
use crate::domain::changes::decision::RequestStatus;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let save = ServerAction::<SavePolicy>::new();
    let delete = ServerAction::<DeletePolicy>::new();
    let decide = ServerAction::<DecideExtension>::new();
    let data = Resource::new(
        move || {
            (
                save.version().get(),
                delete.version().get(),
                decide.version().get(),
            )
        },
        |_| version_policies(),
    );
    let decide_error = action_error(decide);
    view! {
        <PageHeader title="Version policies" description="Minimum and maximum versions, end-of-life overrides and grace periods: global, per product, per tenant. The most specific policy decides."/>
        {move || decide_error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading policies…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view_data) => view! {
                        <Extensions rows=view_data.extensions.clone() can_decide=view_data.may.edit decide/>
                        <PolicyTable rows=view_data.policies.clone() can_edit=view_data.may.edit delete/>
                        {view_data.may.edit.then(|| view! { <PolicyForm data=view_data.view.clone() save/> })}
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn PolicyTable(
    rows: Vec<PolicyRow>,
    can_edit: bool,
    delete: ServerAction<DeletePolicy>,
) -> impl IntoView {
    view! {
        <section class="card table-card">
            <h2>"Policies"</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"No policies yet: every product uses the built-in default (no bounds, 30 days of grace after end of life)."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="policy-table">
                            <thead><tr>
                                <th scope="col">"Level"</th><th scope="col">"Applies to"</th><th scope="col">"Versions"</th>
                                <th scope="col">"End of life"</th><th scope="col" class="num">"Grace"</th><th scope="col">"Actions"</th>
                                <th scope="col"><span class="visually-hidden">"Delete"</span></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|p| {
                                    let applies = match (&p.product_key, &p.tenant_slug) {
                                        (Some(product), Some(tenant)) => format!("{product} on {tenant}"),
                                        (Some(product), None) => product.clone(),
                                        _ => "Every product".into(),
                                    };
                                    let bounds = match (&p.minimum_version, &p.maximum_version) {
                                        (Some(min), Some(max)) => format!("{min} – {max}"),
                                        (Some(min), None) => format!("≥ {min}"),
                                        (None, Some(max)) => format!("≤ {max}"),
                                        (None, None) => "any".into(),
                                    };
                                    view! {
                                        <tr>
                                            <td><span class="badge tone-neutral">{p.level.as_str()}</span></td>
                                            <td>{applies}</td>
                                            <td>{bounds}</td>
                                            <td>{p.eol_date.map_or("release's own".to_owned(), |d| d.to_string())}</td>
                                            <td class="num">{format!("{} d", p.grace_days)}</td>
                                            <td><span class="chips">{p.actions.iter().map(|a| view! { <code class="chip">{a.clone()}</code> }).collect_view()}</span></td>
                                            <td>{can_edit.then(|| view! {
                                                <ActionForm action=delete attr:class="inline-form">
                                                    <input type="hidden" name="id" value=p.id.to_string()/>
                                                    <button type="submit" class="btn btn-sm btn-danger">"Delete"</button>
                                                </ActionForm>
                                            })}</td>
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
    .into_any()
}

#[component]
fn PolicyForm(data: PoliciesView, save: ServerAction<SavePolicy>) -> impl IntoView {
    let error = action_error(save);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <section class="card no-print">
            <h2>"Set a policy"</h2>
            <p class="muted">"Saving a policy for a level, product and tenant that has one replaces it. Compliance is re-assessed at once."</p>
            {move || save.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success">"Policy saved; compliance re-assessed."</Alert> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <div class="field" class:field-invalid=move || field_error("level").get().is_some()>
                    <label for="field-level">"Level"</label>
                    {move || field_error("level").get().map(|m| view! { <p class="field-error">{m}</p> })}
                    <select id="field-level" name="level">
                        <option value="global">"Global"</option>
                        <option value="product">"Product"</option>
                        <option value="tenant">"Tenant override"</option>
                    </select>
                </div>
                <div class="field" class:field-invalid=move || field_error("product").get().is_some()>
                    <label for="field-product_id">"Product"</label>
                    {move || field_error("product").get().map(|m| view! { <p class="field-error">{m}</p> })}
                    <select id="field-product_id" name="product_id">
                        <option value="">"— (global)"</option>
                        {data.products.iter().map(|(id, _, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <TextField name="tenant" label="Tenant (slug, for an override)" error=field_error("tenant")/>
                <TextField name="minimum_version" label="Minimum version" error=field_error("minimum")/>
                <TextField name="maximum_version" label="Maximum version" error=field_error("maximum")/>
                <TextField name="eol_date" label="End-of-life date (overrides the release's)" input_type="date" error=field_error("eol_date")/>
                <TextField name="grace_days" label="Grace days after end of life" help="Default 30" error=field_error("grace_days")/>
                <fieldset class="field">
                    <legend>"Enforcement"</legend>
                    {data.actions.iter().map(|(key, label)| {
                        let id = format!("action-{key}");
                        view! {
                            <div class="checkbox-row">
                                <input type="checkbox" id=id.clone() name=format!("actions[{key}]")/>
                                <label for=id>{label.clone()}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="btn btn-primary">"Save policy"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn Extensions(
    rows: Vec<ExtensionRow>,
    can_decide: bool,
    decide: ServerAction<DecideExtension>,
) -> impl IntoView {
    let pending = rows
        .iter()
        .filter(|r| r.status == RequestStatus::Pending)
        .count();
    view! {
        <section class="card table-card" data-testid="extensions">
            <h2>{format!("Grace extension requests ({pending} waiting)")}</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"No requests. Tenant admins ask for more days of grace from their tenant's Versions tab."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="extension-table">
                            <thead><tr>
                                <th scope="col">"Tenant"</th><th scope="col">"Product"</th><th scope="col" class="num">"Days"</th>
                                <th scope="col">"Reason"</th><th scope="col">"Requested"</th><th scope="col">"Decision"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let open = r.status == RequestStatus::Pending && can_decide;
                                    view! {
                                        <tr>
                                            <td><a href=format!("/tenants/{}/versions", r.tenant_slug)>{r.tenant_slug.clone()}</a></td>
                                            <td>{r.product_key.clone()}</td>
                                            <td class="num">{r.days}</td>
                                            <td>{r.reason.clone()}</td>
                                            <td class="nowrap">{r.requested_by.clone()}<br/><span class="muted">{r.requested_at.format("%Y-%m-%d %H:%M").to_string()}</span></td>
                                            <td>
                                                {if open {
                                                    view! {
                                                        <ActionForm action=decide attr:class="inline-form">
                                                            <input type="hidden" name="id" value=r.id.to_string()/>
                                                            <label class="visually-hidden" for=format!("comment-{}", r.id)>"Comment"</label>
                                                            <input type="text" id=format!("comment-{}", r.id) name="comment" placeholder="Comment (needed to deny)"/>
                                                            <button type="submit" name="decision" value="approve" class="btn btn-sm btn-primary">"Approve"</button>
                                                            <button type="submit" name="decision" value="deny" class="btn btn-sm btn-danger">"Deny"</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                } else {
                                                    view! {
                                                        <span class=format!("badge {}", r.status.tone())>{r.status.as_str()}</span>
                                                        {r.decision_comment.clone().map(|c| view! { " " <span class="muted">{c}</span> })}
                                                    }.into_any()
                                                }}
                                            </td>
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
    .into_any()
}
