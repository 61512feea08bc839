//! The tenant's Versions tab: licensed products, what runs, allowed ranges,
//! flags, pinned components and compliance (with the deciding policy level);
//! grace extension requests.

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::releases::compliance::RequestGraceExtension;
use crate::api::releases::compliance::SetTenantProduct;
use crate::api::releases::compliance::TenantVersionsView;
use crate::api::releases::compliance::tenant_versions;
use crate::ui::components::badge::ComplianceBadge;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::Alert;

#[component]
pub fn VersionsTab(tenant_id: Uuid) -> impl IntoView {
    let set = ServerAction::<SetTenantProduct>::new();
    let request = ServerAction::<RequestGraceExtension>::new();
    let data = Resource::new(
        move || (set.version().get(), request.version().get()),
        move |_| tenant_versions(tenant_id),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading versions…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view_data) => view! {
                        <p class="no-print"><a href=format!("/compliance?tenant={tenant_id}") data-testid="tenant-report">"Compliance report for this tenant (print or CSV)"</a></p>
                        <VersionTable data=view_data.view.clone()/>
                        <div class="distribution">
                            {view_data.may.request_extension.then(|| view! { <ExtensionForm tenant_id data=view_data.view.clone() request/> })}
                            {view_data.may.license.then(|| view! { <LicenseForm tenant_id data=view_data.view.clone() set/> })}
                        </div>
                        <ExtensionHistory data=view_data.view/>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn VersionTable(data: TenantVersionsView) -> impl IntoView {
    if data.rows.is_empty() {
        return view! {
            <section class="card empty-state">
                <p><strong>"No products licensed."</strong></p>
                <p class="muted">"A release manager licenses products to this tenant and records the version it runs."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card table-card">
            <div class="table-wrap">
                <table class="table" data-testid="versions-table">
                    <thead><tr>
                        <th scope="col">"Product"</th><th scope="col">"Running"</th><th scope="col">"Compliance"</th>
                        <th scope="col">"Decided by"</th><th scope="col">"Allowed range"</th><th scope="col">"Components"</th><th scope="col">"Feature flags"</th>
                    </tr></thead>
                    <tbody>
                        {data.rows.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.product_name.clone()}<br/><code class="muted">{r.product_key.clone()}</code></td>
                                <td><code>{r.running_version.clone().unwrap_or_else(|| "not deployed".into())}</code></td>
                                <td>{match r.status {
                                    Some(status) => view! { <ComplianceBadge status days_left=r.days_left/><br/><span class="muted">{r.detail.clone().unwrap_or_default()}</span> }.into_any(),
                                    None => view! { <span class="muted">"Not assessed"</span> }.into_any(),
                                }}</td>
                                <td>{r.policy_level.map_or("—".to_owned(), |l| format!("{} policy", l.as_str()))}</td>
                                <td>{r.allowed_range.clone().unwrap_or_else(|| "any".into())}</td>
                                <td><span class="chips">{r.components.iter().map(|(n, v)| view! { <code class="chip">{format!("{n} {v}")}</code> }).collect_view()}</span></td>
                                <td><span class="chips">{r.feature_flags.iter().map(|f| view! { <span class="chip">{f.clone()}</span> }).collect_view()}</span></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn LicenseForm(
    tenant_id: Uuid,
    data: TenantVersionsView,
    set: ServerAction<SetTenantProduct>,
) -> impl IntoView {
    let error = action_error(set);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <section class="card no-print">
            <h2>"License a product or record its version"</h2>
            {move || set.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success">"Saved; compliance re-assessed."</Alert> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action=set attr:class="form" attr:novalidate=true>
                <input type="hidden" name="tenant_id" value=tenant_id.to_string()/>
                <div class="field">
                    <label for="field-form[product_id]">"Product"</label>
                    <select id="field-form[product_id]" name="form[product_id]">
                        {data.products.iter().map(|(id, _, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <TextField name="form[running_version]" label="Running version" help="A release from the catalog; empty if not deployed yet" error=field_error("running_version")/>
                <TextField name="form[allowed_range]" label="Allowed versions" help="e.g. >=5.0, <6 — empty for any" error=field_error("allowed_range")/>
                <TextField name="form[feature_flags]" label="Feature flags" help="Comma-separated" error=field_error("feature_flags")/>
                <button type="submit" class="btn btn-primary">"Save"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn ExtensionForm(
    tenant_id: Uuid,
    data: TenantVersionsView,
    request: ServerAction<RequestGraceExtension>,
) -> impl IntoView {
    let error = action_error(request);
    let field_error = move |field: &'static str| field_message(error, field);
    let candidates: Vec<_> = data
        .rows
        .iter()
        .filter(|r| r.running_version.is_some())
        .cloned()
        .collect();
    if candidates.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card no-print">
            <h2>"Ask for more time"</h2>
            <p class="muted">"Request extra days of grace after end of life. A platform admin approves or denies it."</p>
            {move || request.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success">"Request sent."</Alert> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action=request attr:class="form" attr:novalidate=true>
                <input type="hidden" name="tenant_id" value=tenant_id.to_string()/>
                <div class="field" class:field-invalid=move || field_error("product_id").get().is_some()>
                    <label for="field-product_id">"Product"</label>
                    {move || field_error("product_id").get().map(|m| view! { <p class="field-error">{m}</p> })}
                    <select id="field-product_id" name="product_id">
                        {candidates.into_iter().map(|r| view! { <option value=r.product_id.to_string()>{r.product_name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <TextField name="days" label="Extra days" required=true help="1 to 180" error=field_error("days")/>
                <TextField name="reason" label="Reason" required=true error=field_error("reason")/>
                <button type="submit" class="btn btn-primary">"Request extension"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn ExtensionHistory(data: TenantVersionsView) -> impl IntoView {
    (!data.extensions.is_empty()).then(|| view! {
        <section class="card table-card">
            <h2>"Extension requests"</h2>
            <table class="table table-compact" data-testid="tenant-extensions">
                <thead><tr><th scope="col">"Product"</th><th scope="col" class="num">"Days"</th><th scope="col">"Reason"</th><th scope="col">"Status"</th></tr></thead>
                <tbody>
                    {data.extensions.into_iter().map(|e| view! {
                        <tr>
                            <td>{e.product_key}</td><td class="num">{e.days}</td><td>{e.reason}</td>
                            <td>{e.status.as_str()}{e.decision_comment.map(|c| format!(" — {c}"))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    })
}
