//! Access: people, sign-in, second factor, roles and API tokens.

pub mod accounts;
pub mod api_tokens;
pub mod auth;
pub mod login_throttle;
pub mod roles;
pub mod two_factor;
pub mod users;
