pub mod audit_page;
