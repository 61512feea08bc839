//! Health baselines: a product's named HTTP checks, and the judgement of one
//! probe's answer against its check.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthCheck {
    pub name: String,
    /// Path probed on the slot, e.g. `/healthz`.
    pub path: String,
    pub expect_status: u16,
    /// Text the body must contain; empty means anything.
    #[serde(default)]
    pub body_contains: String,
    pub max_latency_ms: u32,
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

/// The checks as text, one per line: `name | path | status | body text | max ms`.
pub fn format_check_lines(checks: &[HealthCheck]) -> String {
    checks
        .iter()
        .map(|c| {
            format!(
                "{} | {} | {} | {} | {}",
                c.name, c.path, c.expect_status, c.body_contains, c.max_latency_ms
            )
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
        let [name, path, status, body, max_ms] = parts[..] else {
            return Err(format!(
                "Line {number}: give five parts separated by |: name | path | status | body text (may be empty) | max ms."
            ));
        };
        let expect_status = status
            .parse()
            .map_err(|_| format!("Line {number}: '{status}' is not an HTTP status."))?;
        let max_latency_ms = max_ms
            .trim_end_matches("ms")
            .trim()
            .parse()
            .map_err(|_| format!("Line {number}: '{max_ms}' is not a latency in ms."))?;
        checks.push(HealthCheck {
            name: name.into(),
            path: path.into(),
            expect_status,
            body_contains: body.into(),
            max_latency_ms,
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
}
