pub mod users_page;
