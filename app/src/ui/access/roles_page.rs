//! Settings → Roles: the built-in roles and custom named permission sets,
//! each bound platform-wide or to one tenant when someone is invited.

use leptos::prelude::*;

use crate::api::access::roles::CreateRole;
use crate::api::access::roles::DeleteRole;
use crate::api::access::roles::RoleRow;
use crate::api::access::roles::RolesPage;
use crate::api::access::roles::RolesView;
use crate::api::access::roles::list_roles;
use crate::error::AppError;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::settings::SettingsTabs;

#[component]
pub fn RolesPage() -> impl IntoView {
    let create = ServerAction::<CreateRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let data = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_roles(),
    );
    let delete_error = action_error(delete);
    view! {
        <PageHeader title="Settings" description="Your account, notifications, roles, and API tokens for the REST API and the tenantry CLI."/>
        <SettingsTabs current="/settings/roles"/>
        {move || delete_error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading roles…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view_data) => view! {
                        <RolesTable data=view_data.clone() delete/>
                        {view_data.may.edit.then(|| view! { <NewRoleForm data=view_data.view create/> })}
                    }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <Alert tone="danger">"Only people who may manage users can see roles."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RolesTable(data: RolesPage, delete: ServerAction<DeleteRole>) -> impl IntoView {
    let can_edit = data.may.edit;
    view! {
        <section class="card table-card">
            <div class="table-wrap">
                <table class="table" data-testid="roles-table">
                    <caption class="visually-hidden">"Roles"</caption>
                    <thead><tr>
                        <th scope="col">"Role"</th><th scope="col">"Applies"</th><th scope="col">"Permissions"</th>
                        <th scope="col">"Held by"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {data.view.roles.into_iter().map(|role| view! { <RoleRowView role can_edit delete/> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn RoleRowView(role: RoleRow, can_edit: bool, delete: ServerAction<DeleteRole>) -> impl IntoView {
    let applies = if role.scope == "platform" {
        "Platform-wide"
    } else {
        "One tenant per binding"
    };
    let deletable = can_edit && !role.builtin;
    let name = role.name.clone();
    view! {
        <tr>
            <td class="nowrap">{role.name.clone()}{role.builtin.then(|| view! { " " <span class="badge tone-neutral">"Built-in"</span> })}</td>
            <td class="nowrap">{applies}</td>
            <td><span class="chips">{role.permissions.into_iter().map(|p| view! { <code class="chip">{p}</code> }).collect_view()}</span></td>
            <td>{format!("{} binding{}", role.assigned, if role.assigned == 1 { "" } else { "s" })}</td>
            <td>{deletable.then(|| view! {
                <ActionForm action=delete attr:class="inline-form">
                    <input type="hidden" name="id" value=role.id.to_string()/>
                    <button type="submit" class="btn btn-sm btn-danger" aria-label=format!("Delete the role {name}")>"Delete"</button>
                </ActionForm>
            })}</td>
        </tr>
    }
}

#[component]
fn NewRoleForm(data: RolesView, create: ServerAction<CreateRole>) -> impl IntoView {
    let error = action_error(create);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <section class="card">
            <h2>"Create a custom role"</h2>
            <p class="muted">"A named set of permissions. Bind it when you invite someone: platform-wide, or to one tenant."</p>
            {move || create.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <Alert tone="success">"Role created."</Alert> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <TextField name="name" label="Name" required=true error=field_error("name")/>
                <div class="field" class:field-invalid=move || field_error("scope").get().is_some()>
                    <label for="field-scope">"Applies"</label>
                    {move || field_error("scope").get().map(|m| view! { <p class="field-error"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                    <select id="field-scope" name="scope">
                        <option value="tenant">"To one tenant per binding"</option>
                        <option value="platform">"Platform-wide"</option>
                    </select>
                </div>
                <fieldset class="field" class:field-invalid=move || field_error("permissions").get().is_some()>
                    <legend>"Permissions"</legend>
                    {move || field_error("permissions").get().map(|m| view! { <p class="field-error" data-testid="permissions-error"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                    {data.permissions.into_iter().map(|p| {
                        let id = format!("perm-{}", p.key.replace('.', "-"));
                        view! {
                            <div class="checkbox-row">
                                <input type="checkbox" id=id.clone() name=format!("permissions[{}]", p.key)/>
                                <label for=id><code>{p.key.clone()}</code>" — "{p.description}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="btn btn-primary">"Create role"</button>
            </ActionForm>
        </section>
    }
}
