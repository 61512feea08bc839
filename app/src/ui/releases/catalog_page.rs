//! The release catalog: each product with its releases on an end-of-life
//! timeline, the release table, and (with `release.manage`) the forms to add
//! a product and to publish or update a release.

use leptos::prelude::*;

use crate::api::releases::catalog::CatalogView;
use crate::api::releases::catalog::CreateProduct;
use crate::api::releases::catalog::ReleaseRow;
use crate::api::releases::catalog::SaveRelease;
use crate::api::releases::catalog::release_catalog;
use crate::domain::releases::catalog::ReleaseStatus;
use crate::ui::components::chart::{EolTimeline, Lifespan};
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn CatalogPage() -> impl IntoView {
    let create_product = ServerAction::<CreateProduct>::new();
    let save_release = ServerAction::<SaveRelease>::new();
    let data = Resource::new(
        move || (create_product.version().get(), save_release.version().get()),
        |_| release_catalog(),
    );
    view! {
        <PageHeader title="Releases" description="Products, their releases and support dates. End of life drives every tenant's compliance."/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the catalog…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(catalog) => view! {
                        <Products catalog=catalog.view.clone()/>
                        {catalog.may.edit.then(|| view! {
                            <div class="distribution no-print">
                                <ReleaseForm catalog=catalog.view.clone() action=save_release/>
                                <ProductForm action=create_product/>
                            </div>
                        })}
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn Products(catalog: CatalogView) -> impl IntoView {
    if catalog.products.is_empty() {
        return view! {
            <section class="card empty-state">
                <p><strong>"The catalog is empty."</strong></p>
                <p class="muted">"Add a product, then publish its releases with their end-of-life dates."</p>
            </section>
        }
        .into_any();
    }
    let today = catalog.today;
    catalog
        .products
        .into_iter()
        .map(|product| {
            let releases: Vec<ReleaseRow> = catalog
                .releases
                .iter()
                .filter(|r| r.product_id == product.id)
                .cloned()
                .collect();
            let mut spans: Vec<Lifespan> = releases
                .iter()
                .filter(|r| r.status == ReleaseStatus::Published)
                .map(|r| Lifespan {
                    label: r.version.clone(),
                    start: r.released_on,
                    end_of_support: r.end_of_support,
                    end_of_life: r.end_of_life,
                })
                .collect();
            spans.reverse();
            let heading = format!("product-{}", product.key);
            view! {
                <section class="card" data-testid=format!("product-{}", product.key)>
                    <h2 id=heading.clone()>{product.name.clone()} " " <code class="chip">{product.key.clone()}</code></h2>
                    <p class="muted">
                        {format!("{} release(s) · latest {} · licensed to {} tenant(s)", releases.len(), product.latest.clone().unwrap_or_else(|| "—".into()), product.tenants)}
                        {(!product.description.is_empty()).then(|| format!(" · {}", product.description))}
                    </p>
                    {(!spans.is_empty()).then(|| view! {
                        <h3 class="visually-hidden">"End-of-life timeline"</h3>
                        <EolTimeline labelled_by=heading.clone() today spans/>
                    })}
                    {if releases.is_empty() {
                        view! { <p class="muted">"No releases yet."</p> }.into_any()
                    } else {
                        view! { <ReleaseTable releases today/> }.into_any()
                    }}
                </section>
            }
        })
        .collect_view()
        .into_any()
}

#[component]
fn ReleaseTable(releases: Vec<ReleaseRow>, today: chrono::NaiveDate) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="release-table">
                <thead><tr>
                    <th scope="col">"Version"</th><th scope="col">"Released"</th><th scope="col">"End of support"</th>
                    <th scope="col">"End of life"</th><th scope="col">"Components"</th><th scope="col" class="num">"Tenants running"</th>
                </tr></thead>
                <tbody>
                    {releases.into_iter().map(|r| {
                        let eol_note = r.end_of_life.map(|eol| {
                            let days = (eol - today).num_days();
                            if days < 0 { format!("{eol} (passed)") } else { format!("{eol} (in {days} d)") }
                        }).unwrap_or_else(|| "—".into());
                        view! {
                            <tr>
                                <td class="nowrap"><code>{r.version.clone()}</code>
                                    {(r.status == ReleaseStatus::Withdrawn).then(|| view! { " " <span class="badge tone-neutral">"Withdrawn"</span> })}
                                    {(!r.notes.is_empty()).then(|| view! { <br/><span class="muted">{r.notes.clone()}</span> })}
                                </td>
                                <td class="nowrap">{r.released_on.to_string()}</td>
                                <td class="nowrap">{r.end_of_support.map_or("—".to_owned(), |d| d.to_string())}</td>
                                <td class="nowrap">{eol_note}</td>
                                <td><span class="chips">{r.components.iter().map(|(name, v)| view! { <code class="chip">{format!("{name} {v}")}</code> }).collect_view()}</span></td>
                                <td class="num">{r.tenants_running}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ReleaseForm(catalog: CatalogView, action: ServerAction<SaveRelease>) -> impl IntoView {
    let error = action_error(action);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <section class="card">
            <h2>"Publish or update a release"</h2>
            <p class="muted">"Publishing a version that exists updates its dates. Compliance is re-assessed at once."</p>
            {move || action.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success">"Release saved; compliance re-assessed."</Alert> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action attr:class="form" attr:novalidate=true>
                <div class="field" class:field-invalid=move || field_error("product_id").get().is_some()>
                    <label for="field-form[product_id]">"Product"</label>
                    {move || field_error("product_id").get().map(|m| view! { <p class="field-error">{m}</p> })}
                    <select id="field-form[product_id]" name="form[product_id]">
                        {catalog.products.iter().map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <TextField name="form[version]" label="Version" required=true help="Semantic version, e.g. 5.3.0" error=field_error("version")/>
                <TextField name="form[released_on]" label="Released on" input_type="date" required=true error=field_error("released_on")/>
                <TextField name="form[end_of_support]" label="End of support" input_type="date" error=field_error("end_of_support")/>
                <TextField name="form[end_of_life]" label="End of life" input_type="date" error=field_error("end_of_life")/>
                <div class="field">
                    <label for="field-form[status]">"Status"</label>
                    <select id="field-form[status]" name="form[status]">
                        <option value="published">"Published"</option>
                        <option value="withdrawn">"Withdrawn"</option>
                    </select>
                </div>
                <div class="field" class:field-invalid=move || field_error("components").get().is_some()>
                    <label for="field-form[components]">"Pinned components"</label>
                    {move || field_error("components").get().map(|m| view! { <p class="field-error">{m}</p> })}
                    <textarea id="field-form[components]" name="form[components]" rows="3" placeholder="api=5.3.0\nworker=5.3.0"></textarea>
                    <p class="field-help">"One component=version per line."</p>
                </div>
                <div class="field">
                    <label for="field-form[notes]">"Notes"</label>
                    <textarea id="field-form[notes]" name="form[notes]" rows="2"></textarea>
                </div>
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>"Save release"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn ProductForm(action: ServerAction<CreateProduct>) -> impl IntoView {
    let error = action_error(action);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <section class="card">
            <h2>"Add a product"</h2>
            {move || action.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success">"Product added."</Alert> })}
            <ActionForm action attr:class="form" attr:novalidate=true>
                <TextField name="key" label="Key" required=true help="Lower-case, e.g. edge-gateway" error=field_error("key")/>
                <TextField name="name" label="Name" required=true error=field_error("name")/>
                <TextField name="description" label="Description" error=Signal::derive(|| None::<String>)/>
                <button type="submit" class="btn btn-secondary">"Add product"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
