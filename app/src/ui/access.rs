//! Access: sign-in, invitations, password resets, people, account, roles and API tokens.

pub mod account_page;
pub mod api_tokens_page;
pub mod invitation_page;
pub mod login_page;
pub mod password_reset_pages;
pub mod roles_page;
pub mod users_page;
pub mod verify_page;
