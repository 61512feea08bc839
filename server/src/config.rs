//! Configuration from environment variables. Every variable has a safe
//! default; a bad value stops start-up with a message naming the variable.

use std::net::SocketAddr;

use app::backend::mail::{MailDelivery, SmtpSettings, SmtpTls};
use app::backend::outbound::{DEFAULT_HAPROXY_SOCKET_DIR, NetworkSettings, parse_allow_list};
use app::backend::state::AccountSettings;
use app::domain::access::credentials::check_new_password;
use app::domain::access::throttle::ThrottlePolicy;
use app::domain::notifications::email::Email;
use app::domain::tenants::tenant::Region;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub listen_addr: SocketAddr,
    pub site_root: String,
    pub secure_cookies: bool,
    pub session_ttl_hours: i64,
    /// How often the compliance job assesses every tenant and sends notices.
    pub compliance_interval_seconds: u64,
    /// Which executor runs change requests, and the job worker's settings.
    pub executor: ExecutorChoice,
    pub worker: WorkerConfig,
    /// The periodic health validation of every tenant with an address.
    pub health: app::domain::tenants::health::ValidationPolicy,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    pub log_json: bool,
    pub regions: Vec<Region>,
    /// Seed the demo data set when the database has no tenants yet.
    pub seed_demo: bool,
    pub accounts: AccountSettings,
    pub mail_from: String,
    pub mail_delivery: MailDelivery,
    /// Where outbound calls may reach inside the vendor's network, and the
    /// folder of HAProxy admin sockets.
    pub network: NetworkSettings,
    /// Request-body limits in bytes: everything, and agents' reports.
    pub max_body_bytes: usize,
    pub agent_max_body_bytes: usize,
    /// Proxies whose forwarded-for headers name the real client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where the key that seals secrets at rest comes from.
    pub secret_keys: SecretKeySource,
    /// Who may read `/metrics`, and where; off unless configured.
    pub metrics: MetricsSettings,
    /// API rate limits that do not come from a tenant's plan.
    pub rate_limits: app::backend::rate_limit::Settings,
}

/// `/metrics` is never open by default: it is served on the main listener
/// to callers with `TENANTRY_METRICS_TOKEN` as a bearer token, and/or on a
/// listener of its own (`TENANTRY_METRICS_ADDR`, e.g. a private interface;
/// the token is asked there too when one is set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsSettings {
    pub token: Option<String>,
    pub addr: Option<SocketAddr>,
}

impl MetricsSettings {
    pub fn enabled(&self) -> bool {
        self.token.is_some() || self.addr.is_some()
    }
}

/// The key sealing secrets at rest: from the environment, or from a key
/// file (generated on first start for the zero-setup mode). Older keys stay
/// readable while `rotate-secret-key` re-seals what they sealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretKeySource {
    /// `TENANTRY_SECRET_KEY` (base64, 32 bytes) and `TENANTRY_SECRET_KEY_PREVIOUS`.
    Environment {
        current: String,
        previous: Vec<String>,
    },
    /// `TENANTRY_SECRET_KEY_FILE`: the current key on the first line, older ones below.
    File(std::path::PathBuf),
}

pub const DEFAULT_SECRET_KEY_FILE: &str = "data/secret.key";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration error in {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tenantry.db";
pub const DEFAULT_REGIONS: &str = "eu-central-1,eu-west-1,us-east-1,us-west-2,ap-southeast-1";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(error(
                "DATABASE_URL",
                format!(
                    "'{database_url}' is not supported; use sqlite://path/to/file.db or postgres://user@host:5432/database"
                ),
            ));
        }

        let listen_addr = match get("TENANTRY_LISTEN_ADDR") {
            None => "127.0.0.1:3000".parse().expect("static address parses"),
            Some(raw) => raw.parse().map_err(|_| {
                error(
                    "TENANTRY_LISTEN_ADDR",
                    format!("'{raw}' is not an address like 127.0.0.1:3000"),
                )
            })?,
        };

        let site_root = get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned());

        let secure_cookies = match get("TENANTRY_SECURE_COOKIES") {
            None => None,
            Some(raw) => Some(parse_bool(&raw).ok_or_else(|| {
                error(
                    "TENANTRY_SECURE_COOKIES",
                    format!("'{raw}' is not true or false"),
                )
            })?),
        };

        let compliance_interval_seconds = match get("TENANTRY_COMPLIANCE_INTERVAL_SECONDS") {
            None => 3600,
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|s| (10..=86_400).contains(s))
                .ok_or_else(|| {
                    error(
                        "TENANTRY_COMPLIANCE_INTERVAL_SECONDS",
                        format!("'{raw}' is not a whole number of seconds between 10 and 86400"),
                    )
                })?,
        };

        let session_ttl_hours = match get("TENANTRY_SESSION_TTL_HOURS") {
            None => 12,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|h| (1..=24 * 30).contains(h))
                .ok_or_else(|| {
                    error(
                        "TENANTRY_SESSION_TTL_HOURS",
                        format!("'{raw}' is not a whole number of hours between 1 and 720"),
                    )
                })?,
        };

        let admin_email = match get("TENANTRY_ADMIN_EMAIL") {
            None => None,
            Some(raw) => Some(
                Email::parse(&raw)
                    .map_err(|e| error("TENANTRY_ADMIN_EMAIL", e.to_string()))?
                    .to_string(),
            ),
        };
        let admin_password = match lookup("TENANTRY_ADMIN_PASSWORD").filter(|v| !v.is_empty()) {
            None => None,
            Some(raw) => {
                check_new_password(&raw).map_err(|m| error("TENANTRY_ADMIN_PASSWORD", m))?;
                Some(raw)
            }
        };

        let log_json = match get("TENANTRY_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(error(
                    "TENANTRY_LOG_FORMAT",
                    format!("'{other}' is not text or json"),
                ));
            }
        };

        let regions_raw = get("TENANTRY_REGIONS").unwrap_or_else(|| DEFAULT_REGIONS.to_owned());
        let regions = regions_raw
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| Region::parse(r).map_err(|m| error("TENANTRY_REGIONS", format!("'{r}': {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
        if regions.is_empty() {
            return Err(error(
                "TENANTRY_REGIONS",
                "list at least one region, e.g. eu-central-1,us-east-1",
            ));
        }

        let seed_demo = match get("TENANTRY_SEED_DEMO") {
            None => false,
            Some(raw) => parse_bool(&raw).ok_or_else(|| {
                error(
                    "TENANTRY_SEED_DEMO",
                    format!("'{raw}' is not true or false"),
                )
            })?,
        };

        let number =
            |variable: &'static str, default: i64, min: i64, max: i64, unit: &str| match get(
                variable,
            ) {
                None => Ok(default),
                Some(raw) => raw
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        error(
                            variable,
                            format!(
                                "'{raw}' is not a whole number of {unit} between {min} and {max}"
                            ),
                        )
                    }),
            };
        let public_url = get("TENANTRY_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{listen_addr}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(error(
                "TENANTRY_PUBLIC_URL",
                format!("'{public_url}' must start with http:// or https://"),
            ));
        }
        // Served over https: Secure cookies and HSTS unless explicitly turned off.
        let secure_cookies = secure_cookies.unwrap_or(public_url.starts_with("https://"));
        let lockout = chrono::Duration::seconds(number(
            "TENANTRY_LOGIN_LOCKOUT_SECONDS",
            900,
            1,
            86_400,
            "seconds",
        )?);
        let max_failures = number("TENANTRY_LOGIN_MAX_FAILURES", 5, 1, 1000, "attempts")? as u32;
        let accounts = AccountSettings {
            public_url,
            invitation_ttl: chrono::Duration::hours(number(
                "TENANTRY_INVITATION_TTL_HOURS",
                72,
                1,
                24 * 30,
                "hours",
            )?),
            password_reset_ttl: chrono::Duration::minutes(number(
                "TENANTRY_PASSWORD_RESET_TTL_MINUTES",
                60,
                5,
                24 * 60,
                "minutes",
            )?),
            session_absolute: chrono::Duration::hours(number(
                "TENANTRY_SESSION_ABSOLUTE_HOURS",
                24,
                1,
                24 * 90,
                "hours",
            )?),
            account_throttle: ThrottlePolicy {
                max_failures,
                window: lockout,
                block_for: lockout,
            },
            address_throttle: ThrottlePolicy {
                max_failures: max_failures * 4,
                window: lockout,
                block_for: lockout,
            },
            max_blackout_days: number(
                "TENANTRY_MAX_BLACKOUT_DAYS",
                app::domain::access::authority::DEFAULT_MAX_BLACKOUT_DAYS,
                1,
                366,
                "days",
            )?,
        };

        let mail_from = get("TENANTRY_MAIL_FROM")
            .unwrap_or_else(|| "Tenantry <no-reply@tenantry.local>".to_owned());
        let mail_delivery = match get("TENANTRY_SMTP_HOST") {
            None => MailDelivery::Outbox(
                get("TENANTRY_OUTBOX_DIR")
                    .unwrap_or_else(|| "data/outbox".to_owned())
                    .into(),
            ),
            Some(host) => {
                let tls = match get("TENANTRY_SMTP_TLS") {
                    None => SmtpTls::StartTls,
                    Some(raw) => SmtpTls::parse(&raw).ok_or_else(|| {
                        error(
                            "TENANTRY_SMTP_TLS",
                            format!("'{raw}' is not starttls, tls or none"),
                        )
                    })?,
                };
                let default_port = match tls {
                    SmtpTls::StartTls => 587,
                    SmtpTls::Tls => 465,
                    SmtpTls::None => 25,
                };
                MailDelivery::Smtp(SmtpSettings {
                    host,
                    port: number("TENANTRY_SMTP_PORT", default_port, 1, 65_535, "port")? as u16,
                    tls,
                    username: get("TENANTRY_SMTP_USERNAME"),
                    password: lookup("TENANTRY_SMTP_PASSWORD").filter(|p| !p.is_empty()),
                })
            }
        };

        let executor = match get("TENANTRY_EXECUTOR").as_deref() {
            None | Some("simulator") => ExecutorChoice::Simulator {
                step_ms: whole_number(&get, "TENANTRY_SIMULATOR_STEP_MS", 1500, 0..=600_000)?,
                failure_rate: match get("TENANTRY_SIMULATOR_FAILURE_RATE") {
                    None => 0.0,
                    Some(raw) => raw
                        .parse::<f64>()
                        .ok()
                        .filter(|r| (0.0..=1.0).contains(r))
                        .ok_or_else(|| {
                            error(
                                "TENANTRY_SIMULATOR_FAILURE_RATE",
                                format!("'{raw}' is not a share between 0 and 1, e.g. 0.05"),
                            )
                        })?,
                },
            },
            Some("command") => ExecutorChoice::Command {
                template: get("TENANTRY_EXECUTOR_COMMAND").filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                    error(
                        "TENANTRY_EXECUTOR_COMMAND",
                        "set the command to run per step, e.g. 'ansible-playbook -i {inventory}, upgrade.yml -e version={version} -e step={step}'",
                    )
                })?,
                timeout_seconds: whole_number(&get, "TENANTRY_EXECUTOR_TIMEOUT_SECONDS", 600, 1..=86_400)?,
            },
            Some("http") => ExecutorChoice::Http {
                url: get("TENANTRY_ORCHESTRATOR_URL")
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                    .ok_or_else(|| {
                        error(
                            "TENANTRY_ORCHESTRATOR_URL",
                            "set the orchestrator's job URL, e.g. https://awx.example.com/hooks/tenantry",
                        )
                    })?,
                secret: get("TENANTRY_ORCHESTRATOR_SECRET")
                    .filter(|s| s.len() >= 16)
                    .ok_or_else(|| {
                        error(
                            "TENANTRY_ORCHESTRATOR_SECRET",
                            "set the shared signing secret (at least 16 characters)",
                        )
                    })?,
                timeout_seconds: whole_number(&get, "TENANTRY_EXECUTOR_TIMEOUT_SECONDS", 600, 1..=86_400)?,
            },
            Some(other) => {
                return Err(error(
                    "TENANTRY_EXECUTOR",
                    format!("'{other}' is not an executor; use simulator, command or http"),
                ));
            }
        };
        let worker = WorkerConfig {
            lease_seconds: whole_number(&get, "TENANTRY_JOB_LEASE_SECONDS", 30, 2..=3600)?,
            concurrency: whole_number(&get, "TENANTRY_WORKER_CONCURRENCY", 8, 1..=256)?,
            backoff_ms: whole_number(&get, "TENANTRY_JOB_BACKOFF_MS", 2000, 10..=3_600_000)?,
        };

        let health = app::domain::tenants::health::ValidationPolicy {
            interval_seconds: whole_number(
                &get,
                "TENANTRY_HEALTH_INTERVAL_SECONDS",
                300,
                5..=86_400,
            )?,
            jitter_percent: whole_number(&get, "TENANTRY_HEALTH_JITTER_PERCENT", 10, 0..=50)? as u8,
            failures_to_break: whole_number(&get, "TENANTRY_HEALTH_FAILURES_TO_BREAK", 3, 1..=100)?
                as u32,
            concurrency: whole_number(&get, "TENANTRY_HEALTH_CONCURRENCY", 16, 1..=512)? as usize,
        };

        let haproxy_socket_dir = get("TENANTRY_HAPROXY_SOCKET_DIR")
            .unwrap_or_else(|| DEFAULT_HAPROXY_SOCKET_DIR.to_owned());
        if !haproxy_socket_dir.starts_with('/') || haproxy_socket_dir.contains("..") {
            return Err(error(
                "TENANTRY_HAPROXY_SOCKET_DIR",
                format!("'{haproxy_socket_dir}' must be an absolute path without '..'"),
            ));
        }
        let outbound_allow = parse_allow_list(&get("TENANTRY_OUTBOUND_ALLOW").unwrap_or_default())
            .map_err(|m| error("TENANTRY_OUTBOUND_ALLOW", m))?;
        let trusted_proxies =
            parse_allow_list(&get("TENANTRY_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|m| error("TENANTRY_TRUSTED_PROXIES", m))?;
        let max_body_bytes =
            whole_number(&get, "TENANTRY_MAX_BODY_BYTES", 1024 * 1024, 1024..=1 << 30)? as usize;
        let agent_max_body_bytes = whole_number(
            &get,
            "TENANTRY_AGENT_MAX_BODY_BYTES",
            16 * 1024 * 1024,
            1024..=1 << 30,
        )? as usize;

        let metrics = MetricsSettings {
            token: match get("TENANTRY_METRICS_TOKEN") {
                Some(token) if token.len() < 24 || !token.chars().all(|c| c.is_ascii_graphic()) => {
                    return Err(error(
                        "TENANTRY_METRICS_TOKEN",
                        "use at least 24 printable characters without spaces (e.g. `openssl rand -hex 24`)",
                    ));
                }
                token => token,
            },
            addr: get("TENANTRY_METRICS_ADDR")
                .map(|raw| {
                    raw.parse::<SocketAddr>().map_err(|_| {
                        error(
                            "TENANTRY_METRICS_ADDR",
                            format!("'{raw}' is not an address and port, e.g. 127.0.0.1:9464"),
                        )
                    })
                })
                .transpose()?,
        };

        let secret_keys = match lookup("TENANTRY_SECRET_KEY").filter(|k| !k.trim().is_empty()) {
            Some(current) => {
                let previous: Vec<String> = get("TENANTRY_SECRET_KEY_PREVIOUS")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect();
                for key in
                    std::iter::once(current.trim()).chain(previous.iter().map(String::as_str))
                {
                    app::backend::crypto::SecretKey::parse(key)
                        .map_err(|e| error("TENANTRY_SECRET_KEY", e.to_string()))?;
                }
                SecretKeySource::Environment {
                    current: current.trim().to_owned(),
                    previous,
                }
            }
            None => SecretKeySource::File(
                get("TENANTRY_SECRET_KEY_FILE")
                    .unwrap_or_else(|| DEFAULT_SECRET_KEY_FILE.to_owned())
                    .into(),
            ),
        };

        let rate_limits = app::backend::rate_limit::Settings {
            vendor_per_minute: whole_number(
                &get,
                "TENANTRY_API_RATE_VENDOR_PER_MINUTE",
                60_000,
                1..=100_000_000,
            )? as u32,
            agent_per_minute: whole_number(
                &get,
                "TENANTRY_API_RATE_AGENT_PER_MINUTE",
                600,
                1..=100_000_000,
            )? as u32,
            enabled: match get("TENANTRY_API_RATE_LIMITS").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(other) => {
                    return Err(error(
                        "TENANTRY_API_RATE_LIMITS",
                        format!("'{other}' is neither on nor off"),
                    ));
                }
            },
        };

        Ok(Self {
            rate_limits,
            metrics,
            secret_keys,
            network: NetworkSettings {
                outbound_allow,
                haproxy_socket_dir: haproxy_socket_dir.trim_end_matches('/').to_owned(),
            },
            max_body_bytes,
            agent_max_body_bytes,
            trusted_proxies,
            executor,
            worker,
            health,
            accounts,
            mail_from,
            mail_delivery,
            seed_demo,
            regions,
            database_url,
            listen_addr,
            site_root,
            secure_cookies,
            session_ttl_hours,
            compliance_interval_seconds,
            admin_email,
            admin_password,
            log_json,
        })
    }
}

/// Which executor carries out change requests.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecutorChoice {
    Simulator {
        step_ms: u64,
        failure_rate: f64,
    },
    Command {
        template: String,
        timeout_seconds: u64,
    },
    Http {
        url: String,
        secret: String,
        timeout_seconds: u64,
    },
}

impl ExecutorChoice {
    /// The secret orchestrator callbacks are signed with, if any.
    pub fn orchestrator_secret(&self) -> Option<std::sync::Arc<str>> {
        match self {
            Self::Http { secret, .. } => Some(secret.as_str().into()),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerConfig {
    pub lease_seconds: u64,
    pub concurrency: u64,
    pub backoff_ms: u64,
}

/// A whole number from the environment within `range`, or `default`.
fn whole_number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                error(
                    variable,
                    format!(
                        "'{raw}' is not a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                )
            }),
    }
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn an_empty_environment_gives_safe_defaults() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
        assert!(!config.secure_cookies);
        assert_eq!(config.session_ttl_hours, 12);
        assert!(config.admin_email.is_none());
        assert!(matches!(config.mail_delivery, MailDelivery::Outbox(_)));
        assert_eq!(config.accounts.public_url, "http://127.0.0.1:3000");
        assert!(
            !config.metrics.enabled(),
            "metrics are never open by default"
        );
    }

    #[test]
    fn metrics_need_a_strong_token_or_an_address_of_their_own() {
        let token = "0123456789abcdef0123456789abcdef";
        let with_token = config(&[("TENANTRY_METRICS_TOKEN", token)]).unwrap();
        assert_eq!(with_token.metrics.token.as_deref(), Some(token));
        assert!(with_token.metrics.enabled());
        let with_addr = config(&[("TENANTRY_METRICS_ADDR", "127.0.0.1:9464")]).unwrap();
        assert_eq!(with_addr.metrics.addr.unwrap().port(), 9464);
        for (variable, value) in [
            ("TENANTRY_METRICS_TOKEN", "short"),
            ("TENANTRY_METRICS_TOKEN", "twenty four chars with spaces"),
            ("TENANTRY_METRICS_ADDR", "metrics.internal"),
        ] {
            assert_eq!(config(&[(variable, value)]).unwrap_err().variable, variable);
        }
    }

    #[test]
    fn smtp_is_used_when_a_host_is_configured() {
        let config = config(&[
            ("TENANTRY_SMTP_HOST", "mail.example.com"),
            ("TENANTRY_SMTP_TLS", "tls"),
            ("TENANTRY_SMTP_USERNAME", "tenantry"),
            ("TENANTRY_SMTP_PASSWORD", "s3cret"),
        ])
        .unwrap();
        match config.mail_delivery {
            MailDelivery::Smtp(smtp) => {
                assert_eq!(smtp.port, 465);
                assert_eq!(smtp.tls, SmtpTls::Tls);
                assert_eq!(smtp.username.as_deref(), Some("tenantry"));
            }
            other => panic!("expected SMTP, got {other:?}"),
        }
    }

    #[test]
    fn bad_mail_and_sign_in_settings_name_their_variable() {
        for (variable, value) in [
            ("TENANTRY_SMTP_TLS", "ssl3"),
            ("TENANTRY_LOGIN_MAX_FAILURES", "0"),
            ("TENANTRY_PUBLIC_URL", "portal.example.com"),
        ] {
            let mut vars = vec![(variable, value)];
            if variable == "TENANTRY_SMTP_TLS" {
                vars.push(("TENANTRY_SMTP_HOST", "mail.example.com"));
            }
            assert_eq!(config(&vars).unwrap_err().variable, variable);
        }
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (variable, value) in [
            ("TENANTRY_LISTEN_ADDR", "localhost"),
            ("TENANTRY_SECURE_COOKIES", "maybe"),
            ("TENANTRY_SESSION_TTL_HOURS", "0"),
            ("TENANTRY_ADMIN_EMAIL", "not-an-email"),
            ("TENANTRY_ADMIN_PASSWORD", "short"),
            ("DATABASE_URL", "mysql://x"),
            ("TENANTRY_LOG_FORMAT", "xml"),
            ("TENANTRY_REGIONS", "eu central"),
        ] {
            let err = config(&[(variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.to_string().contains(variable));
        }
    }

    #[test]
    fn postgres_urls_are_accepted() {
        let config =
            config(&[("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")]).unwrap();
        assert!(config.database_url.starts_with("postgres://"));
    }
}
