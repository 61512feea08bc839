//! Building links whose query strings carry the page's filters, and reading
//! a page's path parameters.

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `base?k=v&…` with the pairs that have a value, percent-encoded; `base`
/// alone when none has.
pub fn href_with_query(base: &str, pairs: &[(&str, Option<String>)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode_query_value(v)))
        })
        .collect();
    if encoded.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", encoded.join("&"))
    }
}

/// The route's `:name` parameter as a UUID; `None` when it is missing or not
/// one (the page then shows "not found").
pub fn uuid_param(name: &'static str) -> leptos::prelude::Memo<Option<uuid::Uuid>> {
    use leptos::prelude::*;
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.read().get(name).and_then(|raw| raw.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::{encode_query_value, href_with_query};

    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(encode_query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode_query_value("tenant-01_x.y~"), "tenant-01_x.y~");
    }

    #[test]
    fn links_keep_only_the_parameters_that_have_a_value() {
        assert_eq!(
            href_with_query(
                "/changes",
                &[("status", None), ("page", Some(String::new()))]
            ),
            "/changes"
        );
        assert_eq!(
            href_with_query(
                "/changes",
                &[("tenant", Some("a b".into())), ("page", Some("2".into()))]
            ),
            "/changes?tenant=a%20b&page=2"
        );
    }
}
