pub mod invitation_page;
pub mod login_page;
pub mod password_reset_pages;
pub mod verify_page;
