pub mod bulk_page;
pub mod delete_tenant_page;
pub mod edit_tenant_page;
pub mod endpoints_tab;
pub mod new_tenant_page;
pub mod tenant_page;
pub mod tenants_page;
pub mod versions_tab;
