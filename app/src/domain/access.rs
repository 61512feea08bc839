//! Access rules: permissions, roles' authority, credentials, invitations, tokens and sign-in throttling.

pub mod api_token;
pub mod authority;
pub mod credentials;
pub mod invitation;
pub mod permission;
pub mod throttle;
