//! `/runbooks/{rule}`: each alert rule's runbook (`docs/runbooks/<rule>.md`,
//! built into the binary) for the signed-in operator, as plain text.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use app::domain::platform::alerts::AlertRule;

macro_rules! runbook {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../docs/runbooks/",
                $name,
                ".md"
            )),
        )
    };
}

const RUNBOOKS: [(&str, &str); 9] = [
    runbook!("tenant_broken"),
    runbook!("baseline_failing"),
    runbook!("change_failed"),
    runbook!("rollout_halted"),
    runbook!("automatic_rollback"),
    runbook!("eol_without_upgrade"),
    runbook!("webhook_endpoint_failing"),
    runbook!("job_backlog"),
    runbook!("dead_jobs"),
];

fn text_of(rule: AlertRule) -> Option<&'static str> {
    RUNBOOKS
        .iter()
        .find(|(name, _)| *name == rule.as_str())
        .map(|(_, text)| *text)
}

pub async fn runbook(Path(rule): Path<String>) -> Response {
    match AlertRule::parse(rule.trim_end_matches(".md")).and_then(text_of) {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        None => (StatusCode::NOT_FOUND, "No runbook by that name.\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_has_its_runbook_served() {
        for rule in app::domain::platform::alerts::AlertRule::ALL {
            let text = super::text_of(rule).expect("a runbook for every rule");
            assert!(text.starts_with("# "), "{} has a title", rule.as_str());
        }
    }
}
