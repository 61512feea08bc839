//! Health baselines: a product's named checks — HTTP probes, or test suites
//! the executor runs (an API or UI suite against the tenant's address) — and
//! the judgement of one answer against its check.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthCheck {
    pub name: String,
    /// Path probed on the slot, e.g. `/healthz` (unused by a suite).
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub expect_status: u16,
    /// Text the body must contain; empty means anything.
    #[serde(default)]
    pub body_contains: String,
    pub max_latency_ms: u32,
    /// A test suite the executor runs instead of an HTTP probe (kind
    /// `health`, step `suite <name>`, the address as `{address}`); then the
    /// path, status and body are unused and the latency is its time limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
}

impl HealthCheck {
    /// A check that runs the executor's test suite `suite`.
    pub fn suite(name: &str, suite: &str, max_ms: u32) -> Self {
        Self {
            name: name.into(),
            path: String::new(),
            expect_status: 0,
            body_contains: String::new(),
            max_latency_ms: max_ms,
            suite: Some(suite.into()),
        }
    }

    /// The executor step that runs this check's suite, if it is one.
    pub fn suite_step(&self) -> Option<String> {
        self.suite.as_ref().map(|suite| format!("suite {suite}"))
    }
}

/// A suite name goes into the executor's command line: lower-case letters,
/// digits, `.`, `_` and `-`, starting with a letter or digit, at most 64.
pub fn is_suite_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=64).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(b))
}

/// The baseline a product without one of its own gets: the slot answers 200
/// on `/` within a second.
pub fn default_checks() -> Vec<HealthCheck> {
    vec![HealthCheck {
        name: "Responds".into(),
        path: "/".into(),
        expect_status: 200,
        body_contains: String::new(),
        max_latency_ms: 1000,
        suite: None,
    }]
}

/// Problems per check (`checks[i].field`), for field-level errors.
pub fn check_problems(checks: &[HealthCheck]) -> Vec<(String, &'static str)> {
    let mut problems = Vec::new();
    if checks.is_empty() {
        problems.push(("checks".into(), "Add at least one check."));
    }
    for (i, check) in checks.iter().enumerate() {
        if check.name.trim().is_empty() {
            problems.push((format!("checks[{i}].name"), "Name the check."));
        }
        match &check.suite {
            Some(suite) if !is_suite_name(suite) => problems.push((
                format!("checks[{i}].suite"),
                "Name the suite with lower-case letters, digits, '.', '_' or '-' (at most 64), e.g. api-smoke.",
            )),
            Some(_) => {}
            None => {
                if !check.path.starts_with('/') {
                    problems.push((
                        format!("checks[{i}].path"),
                        "Give a path that starts with /, e.g. /healthz.",
                    ));
                }
                if !(100..=599).contains(&check.expect_status) {
                    problems.push((
                        format!("checks[{i}].expect_status"),
                        "Give an HTTP status from 100 to 599.",
                    ));
                }
            }
        }
        if check.max_latency_ms == 0 {
            problems.push((
                format!("checks[{i}].max_latency_ms"),
                "Give a latency limit above 0 ms.",
            ));
        }
    }
    if checks.len() > 1 {
        let mut names: Vec<_> = checks
            .iter()
            .map(|c| c.name.trim().to_lowercase())
            .collect();
        names.sort();
        names.dedup();
        if names.len() != checks.len() {
            problems.push(("checks".into(), "Give every check its own name."));
        }
    }
    problems
}

/// The checks as text, one per line: `name | path | status | body text | max ms`,
/// or `name | suite:<suite> | max ms` for a test suite.
pub fn format_check_lines(checks: &[HealthCheck]) -> String {
    checks
        .iter()
        .map(|c| match &c.suite {
            Some(suite) => format!("{} | suite:{suite} | {}", c.name, c.max_latency_ms),
            None => format!(
                "{} | {} | {} | {} | {}",
                c.name, c.path, c.expect_status, c.body_contains, c.max_latency_ms
            ),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads [`format_check_lines`]' text back; blank lines are skipped. The
/// error names the line and what is wrong with it.
pub fn parse_check_lines(raw: &str) -> Result<Vec<HealthCheck>, String> {
    let mut checks = Vec::new();
    for (number, line) in raw.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let latency = |max_ms: &str| {
            max_ms
                .trim_end_matches("ms")
                .trim()
                .parse()
                .map_err(|_| format!("Line {number}: '{max_ms}' is not a latency in ms."))
        };
        if let [name, target, max_ms] = parts[..]
            && let Some(suite) = target.strip_prefix("suite:")
        {
            checks.push(HealthCheck::suite(name, suite.trim(), latency(max_ms)?));
            continue;
        }
        let [name, path, status, body, max_ms] = parts[..] else {
            return Err(format!(
                "Line {number}: give five parts separated by |: name | path | status | body text (may be empty) | max ms; or three for a test suite: name | suite:<suite> | max ms."
            ));
        };
        let expect_status = status
            .parse()
            .map_err(|_| format!("Line {number}: '{status}' is not an HTTP status."))?;
        checks.push(HealthCheck {
            name: name.into(),
            path: path.into(),
            expect_status,
            body_contains: body.into(),
            max_latency_ms: latency(max_ms)?,
            suite: None,
        });
    }
    if let Some((field, problem)) = check_problems(&checks).into_iter().next() {
        let line = field
            .strip_prefix("checks[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|i| i.parse::<usize>().ok());
        return Err(match line {
            Some(i) => format!("Check {}: {problem}", i + 1),
            None => problem.to_owned(),
        });
    }
    Ok(checks)
}

/// What a probe saw: the answer, or why there was none.
#[derive(Clone, Debug, PartialEq)]
pub enum ProbeAnswer {
    Answered {
        status: u16,
        body: String,
        latency_ms: u32,
    },
    NoAnswer(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

pub fn judge(check: &HealthCheck, answer: &ProbeAnswer) -> CheckResult {
    let (passed, detail) = match answer {
        ProbeAnswer::NoAnswer(why) => (false, format!("No answer: {why}")),
        ProbeAnswer::Answered {
            status,
            body,
            latency_ms,
        } => {
            if *status != check.expect_status {
                (
                    false,
                    format!("Status {status}, expected {}", check.expect_status),
                )
            } else if !check.body_contains.is_empty() && !body.contains(&check.body_contains) {
                (
                    false,
                    format!("Body does not contain '{}'", check.body_contains),
                )
            } else if *latency_ms > check.max_latency_ms {
                (
                    false,
                    format!("{latency_ms} ms, limit {} ms", check.max_latency_ms),
                )
            } else {
                (true, format!("Status {status} in {latency_ms} ms"))
            }
        }
    };
    CheckResult {
        name: check.name.clone(),
        passed,
        detail,
    }
}

/// Judges a suite check by what the executor said: `Ok` is its output, `Err`
/// why it failed; a suite that passed after its time limit fails too.
pub fn judge_suite(
    check: &HealthCheck,
    outcome: &Result<String, String>,
    elapsed_ms: u32,
) -> CheckResult {
    let suite = check.suite.as_deref().unwrap_or_default();
    let (passed, detail) = match outcome {
        Err(why) => (false, format!("Suite {suite} failed: {}", last_words(why))),
        Ok(_) if elapsed_ms > check.max_latency_ms => (
            false,
            format!(
                "Suite {suite} took {elapsed_ms} ms, limit {} ms",
                check.max_latency_ms
            ),
        ),
        Ok(_) => (true, format!("Suite {suite} passed in {elapsed_ms} ms")),
    };
    CheckResult {
        name: check.name.clone(),
        passed,
        detail,
    }
}

/// The last non-empty lines of an executor's output, at most 300 characters:
/// what a test runner prints last is its verdict.
fn last_words(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(2)..].join(" / ");
    let count = tail.chars().count();
    if count > 300 {
        let kept: String = tail.chars().skip(count - 300).collect();
        format!("…{kept}")
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> HealthCheck {
        HealthCheck {
            name: "Version".into(),
            path: "/version".into(),
            expect_status: 200,
            body_contains: "v2".into(),
            max_latency_ms: 100,
            suite: None,
        }
    }

    fn answered(status: u16, body: &str, latency_ms: u32) -> ProbeAnswer {
        ProbeAnswer::Answered {
            status,
            body: body.into(),
            latency_ms,
        }
    }

    #[test]
    fn a_check_passes_on_the_expected_status_body_and_latency() {
        let result = judge(&check(), &answered(200, "running v2.1", 100));
        assert!(result.passed, "{result:?}");
        assert_eq!(result.detail, "Status 200 in 100 ms");
    }

    #[test]
    fn each_expectation_can_fail_the_check_with_its_own_reason() {
        assert_eq!(
            judge(&check(), &answered(503, "v2", 5)).detail,
            "Status 503, expected 200"
        );
        assert_eq!(
            judge(&check(), &answered(200, "v1", 5)).detail,
            "Body does not contain 'v2'"
        );
        assert_eq!(
            judge(&check(), &answered(200, "v2", 101)).detail,
            "101 ms, limit 100 ms"
        );
        let refused = judge(
            &check(),
            &ProbeAnswer::NoAnswer("connection refused".into()),
        );
        assert!(!refused.passed);
        assert_eq!(refused.detail, "No answer: connection refused");
    }

    #[test]
    fn an_empty_body_expectation_accepts_any_body() {
        let mut any = check();
        any.body_contains.clear();
        assert!(judge(&any, &answered(200, "", 1)).passed);
    }

    #[test]
    fn checks_read_back_from_their_lines() {
        let checks = vec![check(), default_checks().remove(0)];
        let text = format_check_lines(&checks);
        assert_eq!(
            text,
            "Version | /version | 200 | v2 | 100\nResponds | / | 200 |  | 1000"
        );
        assert_eq!(parse_check_lines(&format!("\n{text}\n\n")), Ok(checks));
        assert_eq!(
            parse_check_lines("Ready | /ready | 204 | | 250 ms").unwrap()[0].max_latency_ms,
            250
        );
    }

    #[test]
    fn bad_check_lines_say_which_line_and_what() {
        assert!(
            parse_check_lines("Ready | /ready | 200")
                .unwrap_err()
                .starts_with("Line 1: give five parts")
        );
        assert_eq!(
            parse_check_lines("A | / | 200 | | 10\nB | / | OK | | 10").unwrap_err(),
            "Line 2: 'OK' is not an HTTP status."
        );
        assert_eq!(
            parse_check_lines("A | healthz | 200 | | 10").unwrap_err(),
            "Check 1: Give a path that starts with /, e.g. /healthz."
        );
        assert_eq!(
            parse_check_lines("  \n").unwrap_err(),
            "Add at least one check."
        );
    }

    #[test]
    fn baselines_are_validated_field_by_field() {
        assert!(check_problems(&default_checks()).is_empty());
        assert_eq!(check_problems(&[])[0].0, "checks");
        let bad = HealthCheck {
            name: " ".into(),
            path: "healthz".into(),
            expect_status: 42,
            body_contains: String::new(),
            max_latency_ms: 0,
            suite: None,
        };
        let fields: Vec<_> = check_problems(&[bad]).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                "checks[0].name",
                "checks[0].path",
                "checks[0].expect_status",
                "checks[0].max_latency_ms"
            ]
        );
        let twice = vec![check(), check()];
        assert_eq!(
            check_problems(&twice)[0].1,
            "Give every check its own name."
        );
    }

    #[test]
    fn a_suite_check_reads_back_and_names_a_safe_suite() {
        let checks = vec![
            HealthCheck::suite("API suite", "api-smoke", 120_000),
            check(),
        ];
        let text = format_check_lines(&checks);
        assert!(
            text.starts_with("API suite | suite:api-smoke | 120000\n"),
            "{text}"
        );
        assert_eq!(parse_check_lines(&text), Ok(checks));
        assert_eq!(
            HealthCheck::suite("x", "api-smoke", 1)
                .suite_step()
                .as_deref(),
            Some("suite api-smoke")
        );
        for bad in ["", "API", "-x", "a b", "a;rm", "a/b", &"a".repeat(65)] {
            let problems = check_problems(&[HealthCheck::suite("x", bad, 10)]);
            assert_eq!(
                problems.first().map(|p| p.0.as_str()),
                Some("checks[0].suite"),
                "{bad:?} is refused"
            );
        }
        assert!(check_problems(&[HealthCheck::suite("x", "ui.e2e_v2", 10)]).is_empty());
    }

    #[test]
    fn a_suite_passes_when_the_executor_succeeds_in_time() {
        let suite = HealthCheck::suite("API suite", "api-smoke", 1000);
        let passed = judge_suite(&suite, &Ok("12 passed".into()), 800);
        assert!(passed.passed);
        assert_eq!(passed.detail, "Suite api-smoke passed in 800 ms");
        let slow = judge_suite(&suite, &Ok("12 passed".into()), 1001);
        assert!(!slow.passed);
        assert_eq!(slow.detail, "Suite api-smoke took 1001 ms, limit 1000 ms");
        let failed = judge_suite(
            &suite,
            &Err("run exited with 1\nsetup ok\n\n2 failed: login, search\n".into()),
            10,
        );
        assert!(!failed.passed);
        assert_eq!(
            failed.detail,
            "Suite api-smoke failed: setup ok / 2 failed: login, search"
        );
    }
}
