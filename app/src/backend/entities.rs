//! sea-orm entities. They never leave the server: pages and APIs get DTOs.

pub mod api_token;
pub mod audit_event;
pub mod customer;
pub mod field_change;
pub mod invitation;
pub mod login_throttle;
pub mod notification_preference;
pub mod outbound_email;
pub mod password_reset;
pub mod plan;
pub mod recovery_code;
pub mod role;
pub mod role_binding;
pub mod session;
pub mod tenant;
pub mod tenant_setting;
pub mod user;
