//! Traffic routers behind one trait: they set the blue/green weights and
//! report each slot's cumulative counters. Two drivers:
//! - [`Haproxy`] talks to HAProxy's runtime API on its admin socket
//!   (`set server <backend>/<server> weight`, `show stat`);
//! - [`SimulatedRouter`] makes synthetic traffic with injectable error rate
//!   and latency per slot, for demos.
//!
//! Health probes of a slot live here too: HTTP for real slots, synthetic for
//! simulated ones (`sim://` URLs).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::domain::deployments::bluegreen::CounterReading;
use crate::domain::deployments::bluegreen::Slot;
use crate::domain::deployments::health::HealthCheck;
use crate::domain::deployments::health::ProbeAnswer;
use crate::domain::network::{HaproxyName, socket_path_within};
use crate::model::deployments::Simulation;

use crate::backend::outbound::{self, GuardedHttp, OutboundError};

/// Where one deployment's traffic is routed.
#[derive(Clone, Debug)]
pub struct RouterTarget {
    pub deployment_id: Uuid,
    /// HAProxy: the admin socket's path.
    pub address: String,
    pub backend: String,
    pub blue_server: String,
    pub green_server: String,
    /// The simulator's faults (ignored by real routers).
    pub simulation: Simulation,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Readings {
    pub blue: CounterReading,
    pub green: CounterReading,
}

impl Readings {
    pub fn of(&self, slot: Slot) -> CounterReading {
        match slot {
            Slot::Blue => self.blue,
            Slot::Green => self.green,
        }
    }
}

#[async_trait::async_trait]
pub trait TrafficRouter: Send + Sync {
    /// Sends `blue` and `green` percent of new requests to each slot, in one
    /// command where the router allows it.
    async fn set_weights(&self, target: &RouterTarget, blue: i32, green: i32)
    -> Result<(), String>;
    /// Each slot's cumulative requests and errors, and its latency now.
    async fn read(&self, target: &RouterTarget) -> Result<Readings, String>;
    /// Points `slot`'s server at another address (a migrated tenant's
    /// target), keeping its weight.
    async fn repoint(
        &self,
        target: &RouterTarget,
        slot: Slot,
        ip: std::net::IpAddr,
        port: u16,
    ) -> Result<(), String>;
}

/// The driver for a deployment's `router_kind`.
pub fn router_for(
    kind: crate::domain::deployments::bluegreen::RouterKind,
) -> &'static dyn TrafficRouter {
    use crate::domain::deployments::bluegreen::RouterKind;
    static HAPROXY_DRIVER: Haproxy = Haproxy;
    match kind {
        RouterKind::Haproxy => &HAPROXY_DRIVER,
        RouterKind::Simulator => &*SIMULATED,
    }
}

// ------------------------------------------------------------------ HAProxy

/// HAProxy's runtime API over its admin socket (`stats socket … level admin`).
pub struct Haproxy;

const SOCKET_TIMEOUT: Duration = Duration::from_secs(3);

impl Haproxy {
    /// Sends one command line (commands may be joined with `;`) and returns
    /// HAProxy's whole answer (it closes the connection after answering).
    /// Callers build `line` only from constants, [`HaproxyName`]s and numbers.
    pub async fn command(socket: &str, line: &str) -> Result<String, String> {
        let exchange = async {
            let mut stream = tokio::net::UnixStream::connect(socket)
                .await
                .map_err(|e| format!("cannot reach HAProxy's admin socket {socket}: {e}"))?;
            stream
                .write_all(format!("{line}\n").as_bytes())
                .await
                .map_err(|e| format!("HAProxy socket write: {e}"))?;
            let mut answer = String::new();
            stream
                .read_to_string(&mut answer)
                .await
                .map_err(|e| format!("HAProxy socket read: {e}"))?;
            Ok(answer)
        };
        tokio::time::timeout(SOCKET_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("HAProxy's admin socket {socket} did not answer in time"))?
    }
}

/// The runtime-API line that sets both slots' weights. HAProxy applies the
/// commands one after the other, so the slot whose weight is higher is set
/// first: were the other slot lowered first (going from all-blue to
/// all-green: blue 0, then green 100), for a moment both weights would be 0
/// and HAProxy would answer 503 to the requests arriving then.
fn weight_commands(backend: &str, blue: (&str, i32), green: (&str, i32)) -> String {
    let set = |(server, weight): (&str, i32)| {
        format!(
            "set server {backend}/{server} weight {}",
            weight.clamp(0, 256)
        )
    };
    let (first, second) = if green.1 > blue.1 {
        (green, blue)
    } else {
        (blue, green)
    };
    format!("{}; {}", set(first), set(second))
}

#[async_trait::async_trait]
impl TrafficRouter for Haproxy {
    async fn set_weights(
        &self,
        target: &RouterTarget,
        blue: i32,
        green: i32,
    ) -> Result<(), String> {
        let names = HaproxyNames::of(target)?;
        let line = weight_commands(
            names.backend.as_str(),
            (names.blue.as_str(), blue),
            (names.green.as_str(), green),
        );
        let answer = Haproxy::command(&names.socket, &line).await?;
        // Success is an empty answer per command; anything else is HAProxy's error.
        let problems: Vec<&str> = answer
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "HAProxy refused the weights: {}",
                problems.join(" ")
            ))
        }
    }

    async fn repoint(
        &self,
        target: &RouterTarget,
        slot: Slot,
        ip: std::net::IpAddr,
        port: u16,
    ) -> Result<(), String> {
        let names = HaproxyNames::of(target)?;
        let server = match slot {
            Slot::Blue => &names.blue,
            Slot::Green => &names.green,
        };
        let line = format!(
            "set server {}/{} addr {ip} port {port}",
            names.backend.as_str(),
            server.as_str()
        );
        let answer = Haproxy::command(&names.socket, &line).await?;
        // HAProxy says what changed ("IP changed from … to …, port changed
        // from … to …") or that nothing needed to; anything else is an error.
        let answer = answer.trim();
        if answer.is_empty() || answer.contains("changed") || answer.contains("no need to change") {
            Ok(())
        } else {
            Err(format!("HAProxy refused the new address: {answer}"))
        }
    }

    async fn read(&self, target: &RouterTarget) -> Result<Readings, String> {
        let names = HaproxyNames::of(target)?;
        let csv = Haproxy::command(&names.socket, "show stat").await?;
        Ok(Readings {
            blue: stat_row(&csv, names.backend.as_str(), names.blue.as_str())?,
            green: stat_row(&csv, names.backend.as_str(), names.green.as_str())?,
        })
    }
}

/// A target's names and socket, checked again where they are used: a row
/// written before the rules existed (or by hand) cannot reach the socket.
struct HaproxyNames {
    socket: String,
    backend: HaproxyName,
    blue: HaproxyName,
    green: HaproxyName,
}

impl HaproxyNames {
    fn of(target: &RouterTarget) -> Result<Self, String> {
        let name = |what: &str, raw: &str| {
            HaproxyName::parse(raw).map_err(|e| format!("refused HAProxy {what} name: {e}"))
        };
        let dir = outbound::settings().haproxy_socket_dir.clone();
        Ok(Self {
            socket: socket_path_within(&target.address, &dir)
                .map_err(|e| format!("refused HAProxy admin socket: {e}"))?,
            backend: name("backend", &target.backend)?,
            blue: name("server", &target.blue_server)?,
            green: name("server", &target.green_server)?,
        })
    }
}

/// One server's counters from `show stat`'s CSV: requests (`req_tot`),
/// errors (5xx answers plus failed responses) and the mean response time
/// over its last 1,024 requests (`rtime`; HAProxy keeps no percentiles).
pub fn stat_row(csv: &str, backend: &str, server: &str) -> Result<CounterReading, String> {
    let mut lines = csv.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or("HAProxy's show stat answer has no header")?;
    let columns: Vec<&str> = header.split(',').collect();
    let index = |name: &str| columns.iter().position(|c| *c == name);
    let row = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&backend) && fields.get(1) == Some(&server))
        .ok_or_else(|| format!("HAProxy has no server {backend}/{server}"))?;
    let number = |name: &str| -> u64 {
        index(name)
            .and_then(|i| row.get(i))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let requests = match number("req_tot") {
        0 => number("stot"),
        n => n,
    };
    Ok(CounterReading {
        requests,
        errors: number("hrsp_5xx") + number("eresp"),
        latency_ms: number("rtime") as f64,
    })
}

// ------------------------------------------------------------------ simulator

/// Synthetic traffic per deployment: each read counts the requests that
/// would have arrived since the last one, split by the weights, with the
/// deployment's injected error rate and latency per slot.
pub struct SimulatedRouter {
    state: Mutex<HashMap<Uuid, SimulatedTraffic>>,
}

struct SimulatedTraffic {
    blue_weight: i32,
    green_weight: i32,
    last: Instant,
    readings: Readings,
}

static SIMULATED: LazyLock<SimulatedRouter> = LazyLock::new(|| SimulatedRouter {
    state: Mutex::new(HashMap::new()),
});

impl SimulatedRouter {
    fn advance(&self, target: &RouterTarget, weights: Option<(i32, i32)>) -> Readings {
        let mut state = self.state.lock().expect("simulator state");
        let now = Instant::now();
        let traffic = state
            .entry(target.deployment_id)
            .or_insert_with(|| SimulatedTraffic {
                blue_weight: 100,
                green_weight: 0,
                last: now,
                readings: Readings::default(),
            });
        let seconds = now.duration_since(traffic.last).as_secs_f64();
        let total = (traffic.blue_weight + traffic.green_weight).max(1) as f64;
        for (slot, weight, faults) in [
            (Slot::Blue, traffic.blue_weight, &target.simulation.blue),
            (Slot::Green, traffic.green_weight, &target.simulation.green),
        ] {
            let expected = target.simulation.requests_per_second * seconds * weight as f64 / total;
            let requests = (expected + rand::random::<f64>()).floor() as u64;
            let errors = (0..requests)
                .filter(|_| rand::random::<f64>() * 100.0 < faults.error_rate)
                .count() as u64;
            let reading = match slot {
                Slot::Blue => &mut traffic.readings.blue,
                Slot::Green => &mut traffic.readings.green,
            };
            reading.requests += requests;
            reading.errors += errors;
            reading.latency_ms = faults.latency_ms * (0.9 + 0.2 * rand::random::<f64>());
        }
        traffic.last = now;
        if let Some((blue, green)) = weights {
            traffic.blue_weight = blue;
            traffic.green_weight = green;
        }
        traffic.readings
    }
}

#[async_trait::async_trait]
impl TrafficRouter for SimulatedRouter {
    async fn set_weights(
        &self,
        target: &RouterTarget,
        blue: i32,
        green: i32,
    ) -> Result<(), String> {
        self.advance(target, Some((blue, green)));
        Ok(())
    }

    async fn read(&self, target: &RouterTarget) -> Result<Readings, String> {
        Ok(self.advance(target, None))
    }

    /// Simulated slots have no address to change: their traffic is synthetic.
    async fn repoint(
        &self,
        _target: &RouterTarget,
        _slot: Slot,
        _ip: std::net::IpAddr,
        _port: u16,
    ) -> Result<(), String> {
        Ok(())
    }
}

// ------------------------------------------------------------------ probes

/// Probes one check against a slot's base URL. `sim://` slots answer from the
/// simulation: a slot failing half its requests or more is down (503), any
/// other answers with its injected latency.
pub async fn probe(
    http: &GuardedHttp,
    base_url: &str,
    check: &HealthCheck,
    simulated: Option<(&crate::model::deployments::SlotSimulation, &str)>,
) -> ProbeAnswer {
    if base_url.starts_with("sim://") {
        let (faults, version) = simulated.map(|(f, v)| (f.clone(), v)).unwrap_or_default();
        let down = faults.error_rate >= 50.0;
        return ProbeAnswer::Answered {
            status: if down { 503 } else { check.expect_status },
            body: format!("version {version} {}", check.body_contains),
            latency_ms: faults.latency_ms.round() as u32,
        };
    }
    let url = format!("{}{}", base_url.trim_end_matches('/'), check.path);
    let started = Instant::now();
    let timeout = Duration::from_millis(u64::from(check.max_latency_ms).max(100) * 2);
    match http.get(&url, timeout, PROBE_BODY_LIMIT).await {
        Ok((status, body)) => ProbeAnswer::Answered {
            status,
            body,
            latency_ms: started.elapsed().as_millis() as u32,
        },
        Err(OutboundError::Timeout(limit)) => ProbeAnswer::NoAnswer(format!(
            "no answer from {url} within {} ms",
            limit.as_millis()
        )),
        Err(err) => ProbeAnswer::NoAnswer(format!("{url}: {err}")),
    }
}

/// Where and for whom a baseline runs: a suite check is an executor step of
/// the tenant, so the executor needs to know whose it is.
pub struct BaselineTarget<'a> {
    pub address: &'a str,
    pub tenant_slug: &'a str,
    pub tenant_labels: &'a [String],
    /// Unique per run: each suite's idempotency key starts with it.
    pub run_key: String,
    pub correlation_id: String,
    /// A simulated slot's faults and version (`sim://` addresses).
    pub simulated: Option<(&'a crate::model::deployments::SlotSimulation, &'a str)>,
}

/// Runs each check in order — an HTTP probe at the address, or a test suite
/// through the executor (kind `health`) — and judges it; with how long each
/// took in milliseconds.
pub async fn run_checks(
    executor: &dyn crate::backend::executor::Executor,
    target: &BaselineTarget<'_>,
    checks: &[HealthCheck],
) -> Vec<(crate::domain::deployments::health::CheckResult, u32)> {
    use crate::domain::deployments::health::{judge, judge_suite};
    let http = crate::backend::outbound::http();
    let mut results = Vec::with_capacity(checks.len());
    for (index, check) in checks.iter().enumerate() {
        let began = Instant::now();
        let result = match check.suite_step() {
            Some(step) => {
                let order = crate::backend::executor::StepOrder {
                    key: format!("{}:check:{index}", target.run_key),
                    tenant_slug: target.tenant_slug.to_owned(),
                    tenant_labels: target.tenant_labels.to_vec(),
                    kind: "health".into(),
                    step,
                    target_version: None,
                    attempt: 1,
                    rollback: false,
                    correlation_id: target.correlation_id.clone(),
                    address: Some(target.address.to_owned()),
                    data_snapshot: None,
                    secret: None,
                    placement: None,
                };
                let outcome = executor.run_step(&order).await;
                judge_suite(check, &outcome, began.elapsed().as_millis() as u32)
            }
            None => judge(
                check,
                &probe(&http, target.address, check, target.simulated).await,
            ),
        };
        results.push((result, began.elapsed().as_millis() as u32));
    }
    results
}

/// A health answer's body is searched for a short text; more is never needed.
const PROBE_BODY_LIMIT: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    #[test]
    fn the_slot_gaining_traffic_is_raised_before_the_other_is_lowered() {
        assert_eq!(
            super::weight_commands("app", ("blue", 0), ("green", 100)),
            "set server app/green weight 100; set server app/blue weight 0"
        );
        assert_eq!(
            super::weight_commands("app", ("blue", 100), ("green", 0)),
            "set server app/blue weight 100; set server app/green weight 0"
        );
        assert_eq!(
            super::weight_commands("app", ("blue", 500), ("green", -1)),
            "set server app/blue weight 256; set server app/green weight 0"
        );
    }

    use super::*;

    const SHOW_STAT: &str = "# pxname,svname,qcur,stot,req_tot,hrsp_2xx,hrsp_5xx,eresp,rtime\n\
        fe,FRONTEND,0,10,10,10,0,,\n\
        app,blue,0,900,950,930,20,1,4\n\
        app,green,0,100,100,90,10,0,7\n\
        app,BACKEND,0,1000,1050,1020,30,1,5\n";

    #[test]
    fn show_stat_rows_give_requests_errors_and_latency_per_server() {
        assert_eq!(
            stat_row(SHOW_STAT, "app", "blue").unwrap(),
            CounterReading {
                requests: 950,
                errors: 21,
                latency_ms: 4.0
            }
        );
        assert_eq!(stat_row(SHOW_STAT, "app", "green").unwrap().errors, 10);
        assert!(
            stat_row(SHOW_STAT, "app", "purple")
                .unwrap_err()
                .contains("no server app/purple")
        );
        assert!(stat_row("", "app", "blue").is_err());
    }

    #[tokio::test]
    async fn the_simulator_splits_synthetic_traffic_by_weight() {
        let target = RouterTarget {
            deployment_id: Uuid::new_v4(),
            address: String::new(),
            backend: "app".into(),
            blue_server: "blue".into(),
            green_server: "green".into(),
            simulation: Simulation {
                requests_per_second: 100_000.0,
                ..Simulation::default()
            },
        };
        let router = router_for(crate::domain::deployments::bluegreen::RouterKind::Simulator);
        router.set_weights(&target, 50, 50).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let readings = router.read(&target).await.unwrap();
        let (blue, green) = (readings.blue.requests, readings.green.requests);
        assert!(blue > 1000 && green > 1000, "{readings:?}");
        let share = green as f64 / (blue + green) as f64;
        assert!((0.45..0.55).contains(&share), "green share {share}");
        // Traffic up to the change was split at the old weights; none after.
        router.set_weights(&target, 100, 0).await.unwrap();
        let at_change = router.read(&target).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let later = router.read(&target).await.unwrap();
        assert_eq!(
            later.green.requests, at_change.green.requests,
            "no traffic at weight 0"
        );
        assert!(later.blue.requests > at_change.blue.requests);
    }
}
