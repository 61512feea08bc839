//! What may reach the vendor's network from a user's input: HAProxy
//! identifiers, admin-socket paths inside the vendor's directory, and URLs
//! the server itself calls (health probes, later webhooks). Anything that
//! does not match these grammars is refused before it is stored, and again
//! before it is used.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A backend or server name as HAProxy itself accepts it: letters, digits,
/// `-`, `_`, `.` and `:`. Nothing else can reach a runtime-API command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaproxyName(String);

impl HaproxyName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("Give a name (letters, digits, - _ . :).".into());
        }
        if raw.len() > Self::MAX_LEN {
            return Err(format!("Use at most {} characters.", Self::MAX_LEN));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
        {
            return Err(format!(
                "{bad:?} is not allowed: HAProxy names use only letters, digits, - _ . and :."
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An admin-socket path: absolute, already normalised (no `.`/`..`
/// components, no doubled or trailing slashes, no control characters) and
/// inside `allowed_dir`, the folder the vendor configured for sockets.
pub fn socket_path_within(raw: &str, allowed_dir: &str) -> Result<String, String> {
    if !raw.starts_with('/') {
        return Err("Give the absolute path of HAProxy's admin socket.".into());
    }
    if raw.chars().any(char::is_control) {
        return Err("The path may not contain control characters.".into());
    }
    if raw.len() > 255 {
        return Err("Use at most 255 characters.".into());
    }
    let components: Vec<&str> = raw[1..].split('/').collect();
    if components
        .iter()
        .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return Err("Give the path in its plain form: no '.', '..', '//' or trailing '/'.".into());
    }
    let dir = allowed_dir.trim_end_matches('/');
    match raw.strip_prefix(dir) {
        Some(rest) if rest.starts_with('/') && rest.len() > 1 => Ok(raw.to_owned()),
        _ => Err(format!(
            "Admin sockets must be inside {dir}/ (TENANTRY_HAPROXY_SOCKET_DIR)."
        )),
    }
}

/// A URL the server may call: http or https, a host, an optional port, no
/// credentials and nothing that could smuggle a second request line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundUrl {
    url: String,
    host: String,
}

impl OutboundUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > Self::MAX_LEN {
            return Err(format!("Use at most {} characters.", Self::MAX_LEN));
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("A URL may not contain spaces or control characters.".into());
        }
        let rest = raw
            .strip_prefix("http://")
            .or_else(|| raw.strip_prefix("https://"))
            .ok_or("Give an http:// or https:// URL.")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err("A URL may not carry credentials (user@host).".into());
        }
        if authority.contains('\\') {
            return Err("A URL may not contain a backslash in its host.".into());
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err("Give the URL's host.".into());
        }
        if let Some(port) = port
            && (port.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0))
        {
            return Err(format!("{port:?} is not a port number (1–65535)."));
        }
        Ok(Self {
            url: raw.to_owned(),
            host: host.to_ascii_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host as written (an IPv6 literal without its brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The host when it is an address literal rather than a name.
    pub fn ip_literal(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("An IPv6 host needs its closing ']'.")?;
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("[{host}] is not an IPv6 address."));
        }
        return match after {
            "" => Ok((host, None)),
            _ => after
                .strip_prefix(':')
                .map(|port| (host, Some(port)))
                .ok_or_else(|| "Only a :port may follow an IPv6 host.".to_owned()),
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

/// Addresses inside someone's network rather than on the internet:
/// loopback, private, shared (CGNAT), link-local (cloud metadata lives at
/// 169.254.169.254), unspecified, broadcast, multicast, documentation and
/// their IPv6 counterparts, including IPv4 mapped into IPv6. The server
/// calls such an address only where the vendor allowed it.
pub fn is_internal_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_v4(v4),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
                    // 64:ff9b::/96 translates to IPv4 on NAT64 networks.
                    || v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
                    // 2001:db8::/32, documentation.
                    || v6.segments()[..2] == [0x2001, 0xdb8]
            }
        },
    }
}

fn is_internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4, reserved.
        || a >= 240
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haproxy_names_use_haproxys_own_identifier_characters() {
        for good in ["app", "blue", "be_edge-1", "srv.v2:8080"] {
            assert_eq!(HaproxyName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "blue; disable server app/green",
            "blue\nshow stat",
            "blue weight 100",
            "a/b",
            "naïve",
            &"x".repeat(65),
        ] {
            assert!(HaproxyName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn socket_paths_must_be_plain_absolute_paths_inside_the_vendors_folder() {
        let dir = "/run/haproxy";
        assert_eq!(
            socket_path_within("/run/haproxy/admin.sock", dir).unwrap(),
            "/run/haproxy/admin.sock"
        );
        assert!(socket_path_within("/run/haproxy/edge/admin.sock", "/run/haproxy/").is_ok());
        for bad in [
            "admin.sock",
            "/run/haproxy",
            "/run/haproxy/",
            "/run/haproxy-evil/admin.sock",
            "/run/haproxy/../../var/run/docker.sock",
            "/run/haproxy/./admin.sock",
            "/run/haproxy//admin.sock",
            "/run/haproxy/admin.sock\n",
            "/var/run/docker.sock",
        ] {
            assert!(socket_path_within(bad, dir).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn outbound_urls_are_plain_http_or_https_without_credentials() {
        let url = OutboundUrl::parse("https://Edge.example:8443/healthz?x=1").unwrap();
        assert_eq!(url.host(), "edge.example");
        assert_eq!(url.ip_literal(), None);
        let v6 = OutboundUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!(v6.ip_literal(), Some("::1".parse().unwrap()));
        assert_eq!(
            OutboundUrl::parse("http://10.0.0.11").unwrap().ip_literal(),
            Some("10.0.0.11".parse().unwrap())
        );
        for bad in [
            "ftp://edge.example",
            "file:///etc/passwd",
            "gopher://127.0.0.1:6379/_",
            "http://user:pw@edge.example",
            "http://edge.example@169.254.169.254/",
            "http:///path",
            "http://edge.example:0",
            "http://edge.example:99999",
            "http://edge.example:/",
            "http://edge example",
            "http://edge.example/\r\nHost: other",
            "http://[::1",
            "sim://",
        ] {
            assert!(OutboundUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn internal_addresses_include_loopback_private_link_local_and_metadata() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(is_internal_address(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!is_internal_address(public.parse().unwrap()), "{public}");
        }
    }
}
