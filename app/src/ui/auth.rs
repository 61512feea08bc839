pub mod login_page;
