//! Values anyone can send — an anonymous caller included — that end up in
//! places where they could do harm: a redirect after sign-in, a spreadsheet
//! cell, a log line. Each gets a strict grammar here.

use std::borrow::Cow;

/// Where to go after signing in: only a path on this site. Anything else
/// (another host, `//host`, backslashes, control characters such as a tab
/// that browsers strip, the same tricks percent-encoded, the sign-in pages
/// themselves, the API) goes to the dashboard.
pub fn safe_redirect_target(next: Option<&str>) -> String {
    const HOME: &str = "/";
    let Some(raw) = next else {
        return HOME.to_owned();
    };
    let decoded = percent_decode(raw);
    let acceptable = |path: &str| {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && !path.chars().any(char::is_control)
    };
    let is_sign_in_or_api = |path: &str| {
        path == "/login"
            || path.starts_with("/login/")
            || path.starts_with("/login?")
            || path.starts_with("/api/")
    };
    if raw.len() <= 2048
        && acceptable(raw)
        && decoded.as_deref().is_some_and(acceptable)
        && !is_sign_in_or_api(raw)
    {
        raw.to_owned()
    } else {
        HOME.to_owned()
    }
}

/// `%XX` decoding; `None` when an escape is malformed or the bytes are not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A cell of a CSV export that a spreadsheet will not run as a formula:
/// text beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP's advice), everything else is kept as it is.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A caller's `X-Request-Id` is kept only when it is short and plain
/// (letters, digits, `-`, `_`, `.`, starting with a letter or digit);
/// otherwise the server makes its own. It becomes a change's correlation id,
/// handed to executor commands as an argument: a leading `-` could be read
/// there as an option.
pub fn is_acceptable_request_id(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw.as_bytes()[0].is_ascii_alphanumeric()
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_redirect_target(Some("/tenants?q=acme")),
            "/tenants?q=acme"
        );
        assert_eq!(
            safe_redirect_target(Some("/tenants?q=a%20b")),
            "/tenants?q=a%20b"
        );
    }

    #[test]
    fn foreign_encoded_or_odd_targets_fall_back_to_the_dashboard() {
        for bad in [
            None,
            Some(""),
            Some("https://evil.example"),
            Some("//evil.example"),
            Some("/\\evil.example"),
            Some("/\t/evil.example"),
            Some("/\n/evil.example"),
            Some("/%2Fevil.example"),
            Some("/%2fevil.example"),
            Some("/%5Cevil.example"),
            Some("/%09/evil.example"),
            Some("/%zz"),
            Some("/login"),
            Some("/login?next=/x"),
            Some("/api/v1/tenants"),
            Some("javascript:alert(1)"),
        ] {
            assert_eq!(safe_redirect_target(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_neutralised() {
        for formula in [
            "=HYPERLINK(\"http://evil\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(spreadsheet_safe(formula), format!("'{formula}"));
        }
        for plain in ["acme-prod", "ops@example.com", "", "5.2.0", "a=b"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(is_acceptable_request_id("3f2a-77_b.c"));
        assert!(is_acceptable_request_id(
            "0b7e3c1e-5d7a-4a51-9a4f-2f0d9c8e1b22"
        ));
        for bad in [
            "",
            "=cmd|' /C calc'!A0",
            "a b",
            "id\nforged log line",
            "--become-user=root",
            ".hidden",
            &"x".repeat(65),
        ] {
            assert!(!is_acceptable_request_id(bad), "{bad:?}");
        }
    }
}
