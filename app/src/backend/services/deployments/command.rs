//! The commands of the deployments context, parsed at the door (a page's
//! form or an API body): numbers, steps, names and versions arrive typed,
//! the router's socket inside the allowed directory and the slots' URLs
//! within the outbound policy. What needs the catalog stays with the services.

use super::*;

/// Puts a tenant's product on blue-green.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDeployment {
    /// Tenant slug or id, and product key or id: the service looks them up.
    pub tenant: String,
    pub product: String,
    /// The release the blue slot runs and serves from the start.
    pub version: semver::Version,
    pub router: RouterKind,
    pub router_socket: String,
    pub router_backend: HaproxyName,
    pub blue_server: HaproxyName,
    pub green_server: HaproxyName,
    /// Base URLs the health baseline probes; `sim://` on a simulator.
    pub blue_url: String,
    pub green_url: String,
}

/// A deployment's switch settings, every number read and every bound checked.
#[derive(Clone, Debug, PartialEq)]
pub struct SwitchSettings {
    pub steps: bluegreen::TrafficSteps,
    pub bake_seconds: i32,
    pub interval_seconds: i32,
    pub thresholds: Thresholds,
}

/// Moves a deployment's idle slot to this release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwitchTarget {
    pub version: semver::Version,
}

fn field_error(field: &str, message: impl Into<String>) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.push(field, message);
    errors
}

fn parse_version(raw: &str) -> Result<semver::Version, String> {
    let raw = raw.trim().trim_start_matches('v');
    semver::Version::parse(raw)
        .map_err(|_| format!("'{raw}' is not a semantic version, e.g. 2.4.1."))
}

impl TryFrom<&DeploymentForm> for NewDeployment {
    type Error = FieldErrors;

    fn try_from(form: &DeploymentForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let tenant = form.tenant.trim();
        if tenant.is_empty() {
            errors.push("tenant", "Name the tenant by its slug.");
        }
        let product = form.product.trim();
        if product.is_empty() {
            errors.push("product", "Choose a product from the catalog.");
        }
        let version = parse_version(&form.version)
            .map_err(|problem| errors.push("version", problem))
            .ok();
        let router = RouterKind::parse(or_default(&form.router, RouterKind::Simulator.as_str()));
        if router.is_none() {
            errors.push("router", "Choose simulator or haproxy.");
        }
        let mut name = |field: &str, raw: &str, default: &str| {
            HaproxyName::parse(or_default(raw, default))
                .map_err(|problem| errors.push(field, problem))
                .ok()
        };
        let router_backend = name("router_backend", &form.router_backend, "app");
        let blue_server = name("blue_server", &form.blue_server, "blue");
        let green_server = name("green_server", &form.green_server, "green");
        let socket = form.router_socket.trim();
        if router == Some(RouterKind::Haproxy) {
            if let Err(problem) =
                socket_path_within(socket, &outbound::settings().haproxy_socket_dir)
            {
                errors.push("router_socket", problem);
            }
        }
        let default_url = if router == Some(RouterKind::Simulator) {
            "sim://"
        } else {
            ""
        };
        let blue_url = or_default(&form.blue_url, default_url);
        let green_url = or_default(&form.green_url, default_url);
        let http = outbound::http();
        for (field, url) in [("blue_url", blue_url), ("green_url", green_url)] {
            if router == Some(RouterKind::Simulator) && url == "sim://" {
                continue;
            }
            if let Err(problem) = http.check(url) {
                errors.push(
                    field,
                    format!("{problem} Give the slot's base URL (http:// or https://) for its health checks."),
                );
            }
        }
        match (
            router,
            version,
            router_backend,
            blue_server,
            green_server,
            errors.is_empty(),
        ) {
            (
                Some(router),
                Some(version),
                Some(router_backend),
                Some(blue_server),
                Some(green_server),
                true,
            ) => Ok(Self {
                tenant: tenant.to_owned(),
                product: product.to_owned(),
                version,
                router,
                router_socket: socket.to_owned(),
                router_backend,
                blue_server,
                green_server,
                blue_url: blue_url.to_owned(),
                green_url: green_url.to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

impl TryFrom<&SwitchSettingsForm> for SwitchSettings {
    type Error = FieldErrors;

    fn try_from(form: &SwitchSettingsForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let steps = bluegreen::TrafficSteps::parse(&form.steps)
            .map_err(|problem| errors.push("steps", problem))
            .ok();
        let bake: Option<i32> = parse_number(
            &mut errors,
            "bake_seconds",
            &form.bake_seconds,
            "Give the bake time per step in whole seconds.",
        );
        let interval: Option<i32> = parse_number(
            &mut errors,
            "interval_seconds",
            &form.interval_seconds,
            "Give the monitoring interval in whole seconds.",
        );
        // Each bound is judged only once its number could be read.
        let timing = bluegreen::timing_problems(bake.unwrap_or(0), interval.unwrap_or(1));
        for (field, message) in timing {
            errors.push(field, message);
        }
        let mut number = |field: &str, raw: &str, message: &str| -> Option<f64> {
            parse_number(&mut errors, field, raw, message)
        };
        let any_number = "Give a number.";
        let max_error_rate = number("max_error_rate", &form.max_error_rate, any_number);
        let max_latency_ms = number("max_latency_ms", &form.max_latency_ms, any_number);
        let max_error_rate_over_live = number(
            "max_error_rate_over_live",
            &form.max_error_rate_over_live,
            any_number,
        );
        let max_latency_ratio_to_live = number(
            "max_latency_ratio_to_live",
            &form.max_latency_ratio_to_live,
            any_number,
        );
        let min_requests = parse_number(
            &mut errors,
            "min_requests",
            &form.min_requests,
            "Give a whole number of requests.",
        );
        let max_consecutive_failures = parse_number(
            &mut errors,
            "max_consecutive_failures",
            &form.max_consecutive_failures,
            "Give a whole number.",
        );
        let thresholds = Thresholds {
            max_error_rate: max_error_rate.unwrap_or(0.0),
            max_latency_ms: max_latency_ms.unwrap_or(1.0),
            max_error_rate_over_live: max_error_rate_over_live.unwrap_or(0.0),
            max_latency_ratio_to_live: max_latency_ratio_to_live.unwrap_or(1.0),
            min_requests: min_requests.unwrap_or(1),
            max_consecutive_failures: max_consecutive_failures.unwrap_or(1),
        };
        for (field, message) in thresholds.problems() {
            if errors.for_field(field).is_none() {
                errors.push(field, message);
            }
        }
        match (steps, bake, interval, errors.is_empty()) {
            (Some(steps), Some(bake_seconds), Some(interval_seconds), true) => Ok(Self {
                steps,
                bake_seconds,
                interval_seconds,
                thresholds,
            }),
            _ => Err(errors),
        }
    }
}

impl TryFrom<&SwitchForm> for SwitchTarget {
    type Error = FieldErrors;

    fn try_from(form: &SwitchForm) -> Result<Self, FieldErrors> {
        parse_version(&form.version)
            .map(|version| Self { version })
            .map_err(|problem| field_error("version", problem))
    }
}

/// The demo form's numbers read (range checks are `save_simulation`'s).
impl TryFrom<&SimulationForm> for Simulation {
    type Error = FieldErrors;

    fn try_from(form: &SimulationForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut number = |field: &str, raw: &str| -> f64 {
            parse_number(&mut errors, field, raw, "Give a number.").unwrap_or(0.0)
        };
        let simulation = Simulation {
            requests_per_second: number("requests_per_second", &form.requests_per_second),
            blue: SlotSimulation {
                error_rate: number("blue.error_rate", &form.blue_error_rate),
                latency_ms: number("blue.latency_ms", &form.blue_latency_ms),
            },
            green: SlotSimulation {
                error_rate: number("green.error_rate", &form.green_error_rate),
                latency_ms: number("green.latency_ms", &form.green_latency_ms),
            },
        };
        if errors.is_empty() {
            Ok(simulation)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SwitchSettingsForm {
        SwitchSettingsForm {
            steps: "10, 50, 100".into(),
            bake_seconds: "30".into(),
            interval_seconds: "5".into(),
            max_error_rate: "1".into(),
            max_latency_ms: "500".into(),
            max_error_rate_over_live: "0.5".into(),
            max_latency_ratio_to_live: "1.5".into(),
            min_requests: "20".into(),
            max_consecutive_failures: "2".into(),
        }
    }

    fn fields(errors: FieldErrors) -> Vec<String> {
        errors.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn switch_settings_arrive_as_numbers_and_steps() {
        let parsed = SwitchSettings::try_from(&settings()).unwrap();
        assert_eq!(parsed.steps.to_vec(), vec![10u8, 50, 100]);
        assert_eq!((parsed.bake_seconds, parsed.interval_seconds), (30, 5));
        assert_eq!(parsed.thresholds.min_requests, 20);
    }

    #[test]
    fn every_unreadable_setting_is_named() {
        let bad = SwitchSettingsForm {
            steps: "10, 200".into(),
            bake_seconds: "half a minute".into(),
            max_latency_ms: "fast".into(),
            ..settings()
        };
        let named = fields(SwitchSettings::try_from(&bad).unwrap_err());
        for field in ["steps", "bake_seconds", "max_latency_ms"] {
            assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
        }
    }

    #[test]
    fn a_deployment_gets_the_default_router_and_names() {
        let form = DeploymentForm {
            tenant: "acme".into(),
            product: "edge".into(),
            version: "1.2.0".into(),
            ..Default::default()
        };
        let parsed = NewDeployment::try_from(&form).unwrap();
        assert_eq!(parsed.router, RouterKind::Simulator);
        assert_eq!(parsed.blue_server.as_str(), "blue");
        assert_eq!(
            (parsed.blue_url.as_str(), parsed.green_url.as_str()),
            ("sim://", "sim://")
        );
    }

    #[test]
    fn a_name_that_could_reach_a_command_line_is_refused() {
        let form = DeploymentForm {
            tenant: "acme".into(),
            product: "edge".into(),
            version: "one".into(),
            router: "nginx".into(),
            router_backend: "app; shutdown".into(),
            ..Default::default()
        };
        assert_eq!(
            fields(NewDeployment::try_from(&form).unwrap_err()),
            // Without a known router there is no default slot URL either.
            [
                "version",
                "router",
                "router_backend",
                "blue_url",
                "green_url"
            ]
        );
    }

    #[test]
    fn a_switch_names_a_semantic_version() {
        let to = SwitchTarget::try_from(&SwitchForm {
            version: "v2.0.1".into(),
        })
        .unwrap();
        assert_eq!(to.version, semver::Version::new(2, 0, 1));
        assert!(
            SwitchTarget::try_from(&SwitchForm {
                version: "next".into()
            })
            .is_err()
        );
    }
}
