//! The one door out: every HTTP call the server makes on a user's behalf
//! (slot health probes today, webhooks later) goes through [`GuardedHttp`]:
//! http/https only, a time limit per request, no redirect to another host,
//! and no internal address (loopback, private, link-local, metadata) unless
//! the vendor allowed its network (`TENANTRY_OUTBOUND_ALLOW`). Names are
//! checked after resolution, so a DNS answer cannot point a probe inward.
//!
//! The vendor's network settings are process-wide: set once at start-up
//! from the configuration ([`configure`]), read where a call is made.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Duration;

use ipnet::IpNet;

use crate::domain::network::{OutboundUrl, is_internal_address};

/// Where the server may reach inside the vendor's own network.
#[derive(Clone, Debug)]
pub struct NetworkSettings {
    /// Internal networks outbound calls may reach anyway (CIDR list).
    pub outbound_allow: Vec<IpNet>,
    /// The folder HAProxy admin sockets must live in.
    pub haproxy_socket_dir: String,
}

pub const DEFAULT_HAPROXY_SOCKET_DIR: &str = "/run/haproxy";

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            outbound_allow: vec![],
            haproxy_socket_dir: DEFAULT_HAPROXY_SOCKET_DIR.to_owned(),
        }
    }
}

impl NetworkSettings {
    /// Whether an outbound call may go to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        !is_internal_address(ip) || self.outbound_allow.iter().any(|net| net.contains(&ip))
    }
}

/// Parses `TENANTRY_OUTBOUND_ALLOW`: comma-separated CIDRs or single addresses.
pub fn parse_allow_list(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{s}' is not a CIDR such as 10.0.0.0/8 or an address"))
        })
        .collect()
}

struct Current {
    settings: Arc<NetworkSettings>,
    http: Arc<GuardedHttp>,
}

static CURRENT: LazyLock<RwLock<Current>> = LazyLock::new(|| {
    let settings = Arc::new(NetworkSettings::default());
    RwLock::new(Current {
        http: Arc::new(GuardedHttp::new(settings.clone())),
        settings,
    })
});

/// Installs the vendor's network settings (start-up; tests).
pub fn configure(settings: NetworkSettings) {
    let settings = Arc::new(settings);
    let mut current = CURRENT.write().unwrap_or_else(|p| p.into_inner());
    *current = Current {
        http: Arc::new(GuardedHttp::new(settings.clone())),
        settings,
    };
}

pub fn settings() -> Arc<NetworkSettings> {
    CURRENT
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .settings
        .clone()
}

/// The guarded client for the current settings.
pub fn http() -> Arc<GuardedHttp> {
    CURRENT
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .http
        .clone()
}

/// Why an outbound call was not made or did not answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}")]
    Refused(String),
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("{0}")]
    Failed(String),
}

/// An HTTP client that only calls where the vendor's network settings allow.
pub struct GuardedHttp {
    client: reqwest::Client,
    settings: Arc<NetworkSettings>,
}

/// Resolves names and drops every address the settings do not permit.
struct GuardedResolver {
    settings: Arc<NetworkSettings>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let settings = self.settings.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| settings.permits(a.ip()))
                .collect();
            if permitted.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves only to internal addresses, which outbound calls may not reach (TENANTRY_OUTBOUND_ALLOW)"
                )
                .into();
                return Err(refused);
            }
            Ok(Box::new(permitted.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl GuardedHttp {
    const MAX_REDIRECTS: usize = 5;

    pub fn new(settings: Arc<NetworkSettings>) -> Self {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                settings: settings.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_host = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.host_str() == attempt.url().host_str());
                let scheme_ok = matches!(attempt.url().scheme(), "http" | "https");
                if !same_host || !scheme_ok {
                    attempt.error("redirected to another host")
                } else if attempt.previous().len() > Self::MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            }))
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the guarded HTTP client builds");
        Self { client, settings }
    }

    /// Checks a URL against the grammar and the network settings without
    /// calling it (address literals only; names are checked when resolved).
    pub fn check(&self, raw: &str) -> Result<OutboundUrl, OutboundError> {
        let url = OutboundUrl::parse(raw).map_err(OutboundError::Refused)?;
        if let Some(ip) = url.ip_literal()
            && !self.settings.permits(ip)
        {
            return Err(OutboundError::Refused(format!(
                "{ip} is an internal address, which outbound calls may not reach (TENANTRY_OUTBOUND_ALLOW)"
            )));
        }
        Ok(url)
    }

    /// GET with a time limit; the body is read up to `max_body` bytes.
    pub async fn get(
        &self,
        raw: &str,
        timeout: Duration,
        max_body: usize,
    ) -> Result<(u16, String), OutboundError> {
        let url = self.check(raw)?;
        let call = async {
            let mut response = self
                .client
                .get(url.as_str())
                .send()
                .await
                .map_err(|e| OutboundError::Failed(describe(&e)))?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| OutboundError::Failed(describe(&e)))?
            {
                let room = max_body.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= max_body {
                    break;
                }
            }
            Ok((status, String::from_utf8_lossy(&body).into_owned()))
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| OutboundError::Timeout(timeout))?
    }
}

/// What a POST got back: the status, its `Retry-After` header and the
/// start of the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostAnswer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

impl GuardedHttp {
    /// POST a JSON body with headers, with a time limit; the answer's body is
    /// read up to `max_body` bytes.
    pub async fn post_json(
        &self,
        raw: &str,
        headers: &[(&str, String)],
        body: String,
        timeout: Duration,
        max_body: usize,
    ) -> Result<PostAnswer, OutboundError> {
        let url = self.check(raw)?;
        let call = async {
            let mut request = self
                .client
                .post(url.as_str())
                .header("content-type", "application/json");
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let mut response = request
                .body(body)
                .send()
                .await
                .map_err(|e| OutboundError::Failed(describe(&e)))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut read = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| OutboundError::Failed(describe(&e)))?
            {
                let room = max_body.saturating_sub(read.len());
                read.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if read.len() >= max_body {
                    break;
                }
            }
            Ok(PostAnswer {
                status,
                retry_after,
                body: String::from_utf8_lossy(&read).into_owned(),
            })
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| OutboundError::Timeout(timeout))?
    }
}

/// reqwest's message plus its causes (the resolver's refusal is a cause).
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(allow: &str) -> Arc<NetworkSettings> {
        Arc::new(NetworkSettings {
            outbound_allow: parse_allow_list(allow).unwrap(),
            ..NetworkSettings::default()
        })
    }

    #[test]
    fn allow_lists_take_cidrs_and_single_addresses() {
        let nets = parse_allow_list("10.0.0.0/8, 127.0.0.1 ,::1").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(parse_allow_list("10.0.0.0/33").is_err());
        assert!(parse_allow_list("intranet").is_err());
        assert!(parse_allow_list("").unwrap().is_empty());
    }

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        let strict = settings("");
        assert!(!strict.permits("127.0.0.1".parse().unwrap()));
        assert!(!strict.permits("169.254.169.254".parse().unwrap()));
        assert!(strict.permits("93.184.216.34".parse().unwrap()));
        let lab = settings("127.0.0.1/32");
        assert!(lab.permits("127.0.0.1".parse().unwrap()));
        assert!(lab.permits("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!lab.permits("127.0.0.2".parse().unwrap()));
        assert!(!lab.permits("10.0.0.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn a_probe_of_a_metadata_or_loopback_address_is_never_sent() {
        let http = GuardedHttp::new(settings(""));
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:22/",
            "http://[::1]/",
            "http://localhost:3000/",
        ] {
            let err = http
                .get(url, Duration::from_secs(2), 1024)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("internal"), "{url}: {err}");
        }
        assert!(matches!(
            http.check("gopher://example.com"),
            Err(OutboundError::Refused(_))
        ));
    }

    #[tokio::test]
    async fn redirects_to_another_host_are_not_followed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
                    )
                    .await;
            }
        });
        let http = GuardedHttp::new(settings("127.0.0.1"));
        let err = http
            .get(
                &format!("http://127.0.0.1:{port}/"),
                Duration::from_secs(2),
                1024,
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("another host"), "{err}");
    }
}
