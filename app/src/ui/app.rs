use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::ui::access::account_page::AccountPage;
use crate::ui::access::api_tokens_page::ApiTokensPage;
use crate::ui::access::invitation_page::InvitationPage;
use crate::ui::access::login_page::LoginPage;
use crate::ui::access::password_reset_pages::ForgotPasswordPage;
use crate::ui::access::password_reset_pages::ResetPasswordPage;
use crate::ui::access::roles_page::RolesPage;
use crate::ui::access::users_page::UsersPage;
use crate::ui::access::verify_page::VerifyLoginPage;
use crate::ui::audit::audit_page::AuditPage;
use crate::ui::changes::approvals_page::ApprovalsPage;
use crate::ui::changes::change_page::ChangePage;
use crate::ui::changes::changes_page::ChangesPage;
use crate::ui::deployments::deployment_page::DeploymentPage;
use crate::ui::deployments::fleet_page::FleetPage;
use crate::ui::layout::{AppShell, NotFound};
use crate::ui::notifications::inbox_page::InboxPage;
use crate::ui::notifications::notifications_page::NotificationsPage;
use crate::ui::notifications::outbox_page::OutboxPage;
use crate::ui::notifications::webhook_page::WebhookPage;
use crate::ui::notifications::webhooks_page::WebhooksPage;
use crate::ui::platform::alerts_page::AlertsPage;
use crate::ui::platform::dashboard_page::DashboardPage;
use crate::ui::platform::jobs_page::JobsPage;
use crate::ui::platform::service_levels_page::ServiceLevelsPage;
use crate::ui::releases::catalog_page::CatalogPage;
use crate::ui::releases::compliance_page::CompliancePage;
use crate::ui::releases::policies_page::PoliciesPage;
use crate::ui::rollouts::rollout_page::RolloutPage;
use crate::ui::rollouts::rollouts_page::RolloutsPage;
use crate::ui::tenants::bulk_page::BulkPage;
use crate::ui::tenants::delete_tenant_page::DeleteTenantPage;
use crate::ui::tenants::edit_tenant_page::EditTenantPage;
use crate::ui::tenants::new_tenant_page::NewTenantPage;
use crate::ui::tenants::tenant_page::{TenantPage, TenantTab};
use crate::ui::tenants::tenants_page::TenantsPage;
use crate::ui::tenants::trouble_page::TroublePageView;
use crate::ui::tenants::upgrade_tenant_page::UpgradeTenantPage;

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
                    <Route path=path!("tenants/:slug/health") view=|| view! { <TenantPage tab=TenantTab::Health/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/endpoints") view=|| view! { <TenantPage tab=TenantTab::Endpoints/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/update-policy") view=|| view! { <TenantPage tab=TenantTab::UpdatePolicy/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/limits") view=|| view! { <TenantPage tab=TenantTab::Limits/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/backups") view=|| view! { <TenantPage tab=TenantTab::Backups/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/placement") view=|| view! { <TenantPage tab=TenantTab::Placement/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/manifest") view=|| view! { <TenantPage tab=TenantTab::Manifest/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/offboarding") view=|| view! { <TenantPage tab=TenantTab::Offboarding/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/history") view=|| view! { <TenantPage tab=TenantTab::History/> } ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/delete") view=DeleteTenantPage ssr=ssr.clone()/>
                    <Route path=path!("tenants/:slug/upgrade") view=UpgradeTenantPage ssr=ssr.clone()/>
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
                    <Route path=path!("alerts") view=AlertsPage ssr=ssr.clone()/>
                    <Route path=path!("service-levels") view=ServiceLevelsPage ssr=ssr.clone()/>
                    <Route path=path!("plans") view=crate::ui::plans::plans_page::PlansPage ssr=ssr.clone()/>
                    <Route path=path!("usage") view=crate::ui::plans::usage_page::UsagePage ssr=ssr.clone()/>
                    <Route path=path!("health") view=TroublePageView ssr=ssr.clone()/>
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
                    <Route path=path!("settings/webhooks") view=WebhooksPage ssr=ssr.clone()/>
                    <Route path=path!("settings/webhooks/:id") view=WebhookPage ssr=ssr.clone()/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
