//! Plans: the catalogue page and a tenant's Limits tab.

pub mod limits_tab;
pub mod plans_page;
pub mod usage_page;

/// A limit as shown: a number, or "Unlimited".
pub fn limit_text(limit: Option<u64>) -> String {
    limit.map_or_else(|| "Unlimited".to_owned(), |n| n.to_string())
}
