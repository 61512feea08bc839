use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use super::audit::audit_page::AuditPage;
use super::auth::invitation_page::InvitationPage;
use super::auth::login_page::LoginPage;
use super::auth::password_reset_pages::{ForgotPasswordPage, ResetPasswordPage};
use super::auth::verify_page::VerifyLoginPage;
use super::changes::approvals_page::ApprovalsPage;
use super::changes::change_page::ChangePage;
use super::changes::changes_page::ChangesPage;
use super::changes::jobs_page::JobsPage;
use super::changes::rollout_page::RolloutPage;
use super::changes::rollouts_page::RolloutsPage;
use super::compliance::catalog_page::CatalogPage;
use super::compliance::compliance_page::CompliancePage;
use super::compliance::inbox_page::InboxPage;
use super::compliance::policies_page::PoliciesPage;
use super::dashboard::dashboard_page::DashboardPage;
use super::deployments::deployment_page::DeploymentPage;
use super::deployments::fleet_page::FleetPage;
use super::layout::{AppShell, NotFound};
use super::settings::account_page::AccountPage;
use super::settings::api_tokens_page::ApiTokensPage;
use super::settings::notifications_page::NotificationsPage;
use super::settings::outbox_page::OutboxPage;
use super::settings::roles_page::RolesPage;
use super::tenants::bulk_page::BulkPage;
use super::tenants::delete_tenant_page::DeleteTenantPage;
use super::tenants::edit_tenant_page::EditTenantPage;
use super::tenants::new_tenant_page::NewTenantPage;
use super::tenants::tenant_page::{TenantPage, TenantTab};
use super::tenants::tenants_page::TenantsPage;
use super::users::users_page::UsersPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Every route renders completely on the server (Async), so pages work before
    // hydration and without JavaScript.
    let ssr = SsrMode::Async;
    view! {
        <Stylesheet id="leptos" href="/pkg/tenantry.css"/>
        <Title formatter=|title: String| if title.is_empty() { "Tenantry".to_owned() } else { format!("{title} · Tenantry") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage ssr=ssr.clone()/>
                <Route path=path!("/invitations/:token") view=InvitationPage ssr=ssr.clone()/>
                <Route path=path!("/login/verify") view=VerifyLoginPage ssr=ssr.clone()/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=ssr.clone()/>
                <Route path=path!("/reset-password/:token") view=ResetPasswordPage ssr=ssr.clone()/>
                <ParentRoute path=path!("") view=AppShell ssr=ssr.clone()>
                    <Route path=path!("") view=DashboardPage ssr=ssr.clone()/>
                    <Route path=path!("tenants") view=TenantsPage ssr=ssr.clone()/>
                    <Route path=path!("tenants/new") view=NewTenantPage ssr=ssr.clone()/>
                    <Route path=path!("tenants/bulk") view=BulkPage ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug") view=|| view! { <TenantPage tab=TenantTab::Overview/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/config") view=|| view! { <TenantPage tab=TenantTab::Config/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/versions") view=|| view! { <TenantPage tab=TenantTab::Versions/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/endpoints") view=|| view! { <TenantPage tab=TenantTab::Endpoints/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/update-policy") view=|| view! { <TenantPage tab=TenantTab::UpdatePolicy/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/history") view=|| view! { <TenantPage tab=TenantTab::History/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/delete") view=DeleteTenantPage ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/edit") view=EditTenantPage ssr=ssr.clone()/>
                    <Route path=path!("releases") view=CatalogPage ssr=ssr.clone()/>
                    <Route path=path!("policies") view=PoliciesPage ssr=ssr.clone()/>
                    <Route path=path!("notifications") view=InboxPage ssr=ssr.clone()/>
                    <Route path=path!("changes") view=ChangesPage ssr=ssr.clone()/>
                    <Route path=path!("changes/:id") view=ChangePage ssr=ssr.clone()/>
                    <Route path=path!("approvals") view=ApprovalsPage ssr=ssr.clone()/>
                    <Route path=path!("rollouts") view=RolloutsPage ssr=ssr.clone()/>
                    <Route path=path!("rollouts/:id") view=RolloutPage ssr=ssr.clone()/>
                    <Route path=path!("jobs") view=JobsPage ssr=ssr.clone()/>
                    <Route path=path!("deployments") view=FleetPage ssr=ssr.clone()/>
                    <Route path=path!("deployments/:id") view=DeploymentPage ssr=ssr.clone()/>
                    <Route path=path!("compliance") view=CompliancePage ssr=ssr.clone()/>
                    <Route path=path!("audit") view=AuditPage ssr=ssr.clone()/>
                    <Route path=path!("users") view=UsersPage ssr=ssr.clone()/>
                    <Route path=path!("dev/outbox") view=OutboxPage ssr=ssr.clone()/>
                    <Route path=path!("settings") view=AccountPage ssr=ssr.clone()/>
                    <Route path=path!("settings/account") view=AccountPage ssr=ssr.clone()/>
                    <Route path=path!("settings/roles") view=RolesPage ssr=ssr.clone()/>
                    <Route path=path!("settings/notifications") view=NotificationsPage ssr=ssr.clone()/>
                    <Route path=path!("settings/api-tokens") view=ApiTokensPage ssr=ssr.clone()/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
