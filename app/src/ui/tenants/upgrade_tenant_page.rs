//! Upgrading a tenant: choose the product and the release, each shown with
//! the version policy's verdict; the request then follows the tenant's
//! approval policy and maintenance window like any other change.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::changes::{RequestUpgrade, UpgradeProduct, upgrade_options};
use crate::ui::components::form::action_error;
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn UpgradeTenantPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let choices = Resource::new(move || slug.get(), upgrade_options);
    let act = ServerAction::<RequestUpgrade>::new();
    let error = action_error(act);
    view! {
        <PageHeader title="Upgrade tenant"/>
        {move || error.get().map(|e| {
            let text = e.field_errors().0.first().map(|f| f.message.clone()).unwrap_or_else(|| e.to_string());
            view! { <Alert tone="danger"><span data-testid="upgrade-error">{text}</span></Alert> }
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Ok(choices) if choices.products.is_empty() => view! {
                        <p class="empty-state">"No product is licensed for this tenant yet: license one on its Versions tab first."</p>
                    }.into_any(),
                    Ok(choices) => {
                        let slug = choices.slug.clone();
                        view! {
                            <p class="muted">"Upgrading " <a href=format!("/tenants/{slug}")><code>{slug.clone()}</code></a> ". The upgrade is a change request: it follows the tenant's approval policy and maintenance window; each product says below how it moves."</p>
                            {choices.products.into_iter().map(|product| view! { <ProductUpgrade act slug=slug.clone() product/> }).collect_view()}
                            <p><a class="btn btn-secondary" href=format!("/tenants/{slug}")>"Back to the tenant"</a></p>
                        }.into_any()
                    }
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductUpgrade(
    act: ServerAction<RequestUpgrade>,
    slug: String,
    product: UpgradeProduct,
) -> impl IntoView {
    let running = product
        .running
        .clone()
        .unwrap_or_else(|| "not recorded".into());
    let first_allowed = product
        .releases
        .iter()
        .find(|r| r.refused_because.is_none() && !r.downgrade)
        .map(|r| r.version.clone());
    let any_allowed = product.releases.iter().any(|r| r.refused_because.is_none());
    let key = product.key.clone();
    view! {
        <section class="card" data-testid=format!("upgrade-{key}")>
            <h2>{product.name.clone()}</h2>
            <p class="muted">"Running now: " <code>{running}</code></p>
            <p class="muted" data-testid="upgrade-path">{product.path.clone()}</p>
            {if product.releases.is_empty() {
                view! { <p class="empty-state">"No other published release."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=act attr:class="form">
                        <input type="hidden" name="slug" value=slug/>
                        <input type="hidden" name="product" value=product.key.clone()/>
                        <fieldset class="field">
                            <legend>"Release"</legend>
                            <ul class="choice-list">
                                {product.releases.into_iter().map(|release| {
                                    let id = format!("release-{}-{}", product.key, release.version);
                                    let checked = first_allowed.as_deref() == Some(release.version.as_str());
                                    let refused = release.refused_because.is_some();
                                    let verdict = match (&release.refused_because, release.downgrade) {
                                        (Some(reason), _) => reason.clone(),
                                        (None, true) => "Allowed by the policy (a downgrade).".to_owned(),
                                        (None, false) => "Allowed by the policy.".to_owned(),
                                    };
                                    view! {
                                        <li data-version=release.version.clone() data-allowed=(!refused).to_string()>
                                            <input type="radio" name="version" id=id.clone() value=release.version.clone() checked=checked disabled=refused/>
                                            <label for=id>
                                                <code>{release.version.clone()}</code>
                                                " "
                                                <span class=if refused { "badge tone-danger" } else { "badge tone-success" }>{if refused { "Refused" } else { "Allowed" }}</span>
                                                <span class="muted">" " {verdict}</span>
                                            </label>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </fieldset>
                        <div class="form-actions">
                            <button type="submit" class="btn btn-primary" disabled=!any_allowed>"Request upgrade"</button>
                        </div>
                    </ActionForm>
                }.into_any()
            }}
        </section>
    }
}
