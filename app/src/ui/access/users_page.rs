//! Users: the people who can sign in, their roles, open invitations, and
//! inviting someone new. Platform admins see everyone; tenant admins see the
//! people of their own tenants.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::access::users::InvitationRow;
use crate::api::access::users::InvitationStatus;
use crate::api::access::users::InviteUser;
use crate::api::access::users::RevokeInvitation;
use crate::api::access::users::SetUserActive;
use crate::api::access::users::UserRow;
use crate::api::access::users::UsersQuery;
use crate::api::access::users::UsersView;
use crate::api::access::users::list_users;
use crate::error::AppError;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::url::encode_query_value;

fn users_href(query: &UsersQuery, page: u64) -> String {
    let mut pairs = vec![];
    if let Some(q) = query.q.as_deref().filter(|q| !q.is_empty()) {
        pairs.push(format!("q={}", encode_query_value(q)));
    }
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        pairs.push(format!("status={}", encode_query_value(status)));
    }
    if page > 1 {
        pairs.push(format!("page={page}"));
    }
    if pairs.is_empty() {
        "/users".to_owned()
    } else {
        format!("/users?{}", pairs.join("&"))
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        UsersQuery {
            q: map.get("q").filter(|v| !v.trim().is_empty()),
            status: map.get("status").filter(|v| !v.is_empty()),
            page: map.get("page").and_then(|p| p.parse().ok()),
        }
    });
    let invite = ServerAction::<InviteUser>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let data = Resource::new(
        move || {
            (
                query.get(),
                invite.version().get(),
                revoke.version().get(),
                set_active.version().get(),
            )
        },
        |(query, ..)| list_users(query),
    );
    let toggle_error = action_error(set_active);
    view! {
        <PageHeader title="Users" description="Who can sign in, with which role and where. Invite people by email."/>
        {move || toggle_error.get().map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view_data) => view! {
                        <UsersFilter query=query.get_untracked()/>
                        <UsersTable data=view_data.clone() query=query.get_untracked() set_active/>
                        <InviteForm data=view_data.clone() invite/>
                        <InvitationsTable invitations=view_data.invitations revoke outbox_mode=view_data.outbox_mode/>
                    }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <Alert tone="danger">"Only people who may manage users can see this page."</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UsersFilter(query: UsersQuery) -> impl IntoView {
    let status = query.status.clone().unwrap_or_default();
    view! {
        <form class="filter-bar card" method="get" action="/users" role="search" aria-label="Filter users">
            <div class="field">
                <label for="users-q">"Search"</label>
                <input id="users-q" name="q" type="search" value=query.q.clone().unwrap_or_default() placeholder="name or email"/>
            </div>
            <div class="field">
                <label for="users-status">"Status"</label>
                <select id="users-status" name="status">
                    <option value="" selected=status.is_empty()>"Any"</option>
                    <option value="active" selected=status == "active">"Active"</option>
                    <option value="disabled" selected=status == "disabled">"Disabled"</option>
                </select>
            </div>
            <button type="submit" class="btn btn-secondary">"Apply"</button>
            <a href="/users">"Clear"</a>
        </form>
    }
}

#[component]
fn UsersTable(
    data: UsersView,
    query: UsersQuery,
    set_active: ServerAction<SetUserActive>,
) -> impl IntoView {
    if data.users.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="users-empty">
                <h2>"No users match"</h2>
                <p class="muted">"Change the search, or invite someone below."</p>
            </section>
        }
        .into_any();
    }
    let (page, pages, total) = (data.page, data.pages, data.total);
    view! {
        <section class="card table-card">
            <div class="table-wrap">
                <table class="table" data-testid="users-table">
                    <caption class="visually-hidden">"Users, by email"</caption>
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Roles"</th>
                        <th scope="col">"Last sign-in"</th><th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {data.users.into_iter().map(|user| view! { <UserRowView user set_active/> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <nav class="pager" aria-label="Pagination">
                <span class="muted">{format!("{total} user{} · page {page} of {pages}", if total == 1 { "" } else { "s" })}</span>
                <span class="pager-links">
                    {(page > 1).then(|| view! { <a class="btn btn-sm" href=users_href(&query, page - 1)>"Previous"</a> })}
                    {(page < pages).then(|| view! { <a class="btn btn-sm" href=users_href(&query, page + 1)>"Next"</a> })}
                </span>
            </nav>
        </section>
    }
    .into_any()
}

#[component]
fn UserRowView(user: UserRow, set_active: ServerAction<SetUserActive>) -> impl IntoView {
    let (status, tone, glyph) = if user.is_active {
        ("Active", "success", "✓")
    } else {
        ("Disabled", "neutral", "⊘")
    };
    let action = (user.can_manage && !user.is_self).then(|| {
        let (label, next, class) = if user.is_active {
            ("Disable", "false", "btn btn-sm btn-danger")
        } else {
            ("Enable", "true", "btn btn-sm btn-secondary")
        };
        let aria = format!("{label} {}", user.email);
        view! {
            <ActionForm action=set_active attr:class="inline-form">
                <input type="hidden" name="id" value=user.id.to_string()/>
                <input type="hidden" name="active" value=next/>
                <button type="submit" class=class aria-label=aria>{label}</button>
            </ActionForm>
        }
    });
    view! {
        <tr data-testid="user-row">
            <td class="nowrap">{user.display_name.clone()}{user.is_self.then(|| view! { <span class="muted">" (you)"</span> })}</td>
            <td>{user.email.clone()}</td>
            <td>
                {user.bindings.into_iter().map(|b| view! {
                    <span class="chip">{b.role_name}{b.tenant_slug.map(|slug| view! { " · " <a href=format!("/tenants/{slug}")><code>{slug.clone()}</code></a> })}</span>
                }).collect_view()}
            </td>
            <td class="nowrap">{user.last_login_at.map(|at| at.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "Never".into())}</td>
            <td><span class=format!("badge tone-{tone}")><span class="badge-glyph" aria-hidden="true">{glyph}</span>{status}</span></td>
            <td>{action}</td>
        </tr>
    }
    // Erases the row's type: inside the table's it overflows the compiler's
    // query depth in the release wasm build.
    .into_any()
}

#[component]
fn InviteForm(data: UsersView, invite: ServerAction<InviteUser>) -> impl IntoView {
    let error = action_error(invite);
    let field_error = move |field: &'static str| field_message(error, field);
    let sent = move || invite.value().get().is_some_and(|r| r.is_ok());
    let single_tenant = (data.tenant_choices.len() == 1).then(|| data.tenant_choices[0].clone());
    let tenant_input = if data.tenant_choices.is_empty() {
        view! {
            <TextField name="tenant" label="Tenant (slug)" help="For tenant roles: the tenant the role applies to. Leave blank for platform roles." error=field_error("tenant")/>
        }
        .into_any()
    } else {
        let choices = data.tenant_choices.clone();
        view! {
            <div class="field" class:field-invalid=move || field_error("tenant").get().is_some()>
                <label for="field-tenant">"Tenant"</label>
                {move || field_error("tenant").get().map(|m| view! { <p class="field-error" id="err-tenant"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                <select id="field-tenant" name="tenant">
                    {choices.into_iter().map(|slug| {
                        let selected = single_tenant.as_deref() == Some(slug.as_str());
                        view! { <option value=slug.clone() selected=selected>{slug.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>"Invite someone"</h2>
            <p class="muted">"They get an email with a single-use link to choose their password. The link expires."</p>
            {move || sent().then(|| view! { <Alert tone="success"><span data-testid="invite-sent">"Invitation sent."</span></Alert> })}
            {move || error.get().filter(|e| e.field_errors().is_empty()).map(|e| view! { <Alert tone="danger">{e.to_string()}</Alert> })}
            <ActionForm action=invite attr:class="form form-grid" attr:novalidate=true>
                <TextField name="email" label="Email" input_type="email" required=true error=field_error("email")/>
                <div class="field" class:field-invalid=move || field_error("role").get().is_some()>
                    <label for="field-role">"Role"<span class="required" aria-hidden="true">" *"</span></label>
                    {move || field_error("role").get().map(|m| view! { <p class="field-error" id="err-role"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                    <select id="field-role" name="role">
                        {data.roles.into_iter().map(|r| view! {
                            <option value=r.key.clone() selected=r.key == "tenant_admin">{r.name}{if r.tenant_scoped { " (one tenant)" } else { " (platform)" }}</option>
                        }).collect_view()}
                    </select>
                </div>
                {tenant_input}
                <button type="submit" class="btn btn-primary">"Send invitation"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn InvitationsTable(
    invitations: Vec<InvitationRow>,
    revoke: ServerAction<RevokeInvitation>,
    outbox_mode: bool,
) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Invitations"</h2>
            {outbox_mode.then(|| view! {
                <p class="muted">"No SMTP server is configured: emails are kept in the " <a href="/dev/outbox">"development outbox"</a> "."</p>
            })}
            {if invitations.is_empty() {
                view! { <p class="muted" data-testid="invitations-empty">"No invitations in the last 30 days."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="invitations-table">
                            <caption class="visually-hidden">"Invitations, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Invited by"</th>
                                <th scope="col">"Expires"</th><th scope="col">"Status"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {invitations.into_iter().map(|i| {
                                    let tone = match i.status {
                                        InvitationStatus::Pending => "info",
                                        InvitationStatus::Accepted => "success",
                                        InvitationStatus::Expired => "attention",
                                        InvitationStatus::Revoked => "neutral",
                                    };
                                    let open = i.status == InvitationStatus::Pending;
                                    let email = i.email.clone();
                                    view! {
                                        <tr>
                                            <td>{i.email.clone()}</td>
                                            <td>{i.role_name}{i.tenant_slug.map(|s| view! { " · " <code>{s}</code> })}</td>
                                            <td>{i.invited_by}</td>
                                            <td class="nowrap">{i.expires_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                            <td><span class=format!("badge tone-{tone}")>{i.status.label()}</span></td>
                                            <td>{open.then(|| view! {
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="id" value=i.id.to_string()/>
                                                    <button type="submit" class="btn btn-sm btn-secondary" aria-label=format!("Revoke the invitation of {email}")>"Revoke"</button>
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
}
