//! Deleting is irreversible: a page of its own with typed confirmation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::tenants::{TenantAction, get_tenant};
use crate::ui::components::form::action_error;
use crate::ui::components::page::{Alert, PageHeader};

#[component]
pub fn DeleteTenantPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let detail = Resource::new(move || slug.get(), get_tenant);
    let act = ServerAction::<TenantAction>::new();
    let error = action_error(act);
    view! {
        <PageHeader title="Delete tenant"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => {
                        let slug = detail.row.slug.clone();
                        let slug_in_alert = slug.clone();
                        let confirm_error = move || error.get().and_then(|e| e.field_errors().for_field("confirm").map(str::to_owned));
                        let other_error = move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| e.to_string());
                        view! {
                            <Alert tone="danger">
                                "Deleting " <code>{slug_in_alert}</code> " is final: the tenant record is marked deleted and cannot be restored. The audit trail is kept."
                            </Alert>
                            {move || other_error().map(|m| view! { <Alert tone="danger">{m}</Alert> })}
                            <ActionForm action=act attr:class="form card">
                                <input type="hidden" name="slug" value=slug.clone()/>
                                <input type="hidden" name="action" value="delete"/>
                                <input type="hidden" name="version" value=detail.version.to_string()/>
                                <div class="field" class:field-invalid=move || confirm_error().is_some()>
                                    <label for="field-confirm">"Type " <code>{slug.clone()}</code> " to confirm"</label>
                                    {move || confirm_error().map(|m| view! { <p class="field-error" id="err-confirm">"⚠ "{m}</p> })}
                                    <input id="field-confirm" name="confirm" autocomplete="off"/>
                                </div>
                                <div class="form-actions">
                                    <button type="submit" class="btn btn-danger">"Delete tenant " {slug.clone()}</button>
                                    <a class="btn btn-secondary" href=format!("/tenants/{slug}")>"Cancel"</a>
                                </div>
                            </ActionForm>
                        }.into_any()
                    }
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}
