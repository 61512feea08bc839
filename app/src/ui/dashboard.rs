pub mod dashboard_page;
