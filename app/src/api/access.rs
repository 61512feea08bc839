//! Access: sign-in, people, second factor, roles and API tokens.

pub mod api_tokens;
pub mod auth;
pub mod roles;
pub mod two_factor;
pub mod users;
