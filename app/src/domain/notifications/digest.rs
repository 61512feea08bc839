//! Email digests: a person may have their notification emails collected
//! into one email a day or a week, sent at the hour they chose in their own
//! time zone. Critical alerts never wait for a digest.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::notification::NotificationKind;
use crate::domain::changes::schedule::{parse_timezone, resolve_local};
use crate::domain::validation::FieldErrors;

/// How a person's notification emails are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailCadence {
    /// One email per notification, as it happens.
    #[default]
    AtOnce,
    Daily,
    Weekly,
}

impl EmailCadence {
    pub const ALL: [EmailCadence; 3] = [Self::AtOnce, Self::Daily, Self::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtOnce => "at_once",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AtOnce => "At once, one email per notification",
            Self::Daily => "Daily digest",
            Self::Weekly => "Weekly digest",
        }
    }
}

impl NotificationKind {
    /// Critical alerts are emailed at once whatever the cadence: someone is
    /// waiting on the reader, or their account or integrations are at risk.
    pub fn is_critical(self) -> bool {
        matches!(
            self,
            Self::SecurityAlert
                | Self::ApprovalRequested
                | Self::RolloutProblem
                | Self::WebhookDisabled
                | Self::Alert
        )
    }
}

/// When a person's digest goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestSchedule {
    pub cadence: EmailCadence,
    /// Local hour, 0–23.
    pub hour: u32,
    /// For weekly digests.
    pub weekday: Weekday,
    pub timezone: Tz,
}

impl Default for DigestSchedule {
    fn default() -> Self {
        Self {
            cadence: EmailCadence::AtOnce,
            hour: 8,
            weekday: Weekday::Mon,
            timezone: Tz::UTC,
        }
    }
}

/// `mon` … `sun` (the form's values).
pub fn weekday_key(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

pub fn parse_weekday(raw: &str) -> Option<Weekday> {
    let raw = raw.trim().to_ascii_lowercase();
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .find(|d| weekday_key(*d) == raw)
}

impl DigestSchedule {
    /// Reads the form; each bad field says what it takes.
    pub fn parse(
        cadence: &str,
        hour: &str,
        weekday: &str,
        timezone: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let cadence = EmailCadence::parse(cadence);
        if cadence.is_none() {
            errors.push("cadence", "Choose at once, daily or weekly.");
        }
        let hour = hour.trim().parse::<u32>().ok().filter(|h| *h < 24);
        if hour.is_none() {
            errors.push("hour", "Enter an hour from 0 to 23.");
        }
        let weekday = parse_weekday(weekday);
        if weekday.is_none() {
            errors.push("weekday", "Choose a day of the week.");
        }
        let timezone = match parse_timezone(timezone) {
            Ok(zone) => Some(zone),
            Err(problem) => {
                errors.push("timezone", problem);
                None
            }
        };
        match (cadence, hour, weekday, timezone) {
            (Some(cadence), Some(hour), Some(weekday), Some(timezone)) if errors.is_empty() => {
                Ok(Self {
                    cadence,
                    hour,
                    weekday,
                    timezone,
                })
            }
            _ => Err(errors),
        }
    }

    /// Whether an email of `kind` waits for the digest.
    pub fn holds(&self, kind: NotificationKind) -> bool {
        self.cadence != EmailCadence::AtOnce && !kind.is_critical()
    }

    /// The first send time strictly after `after`; `None` when emails go at once.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.cadence == EmailCadence::AtOnce {
            return None;
        }
        let at_hour = NaiveTime::from_hms_opt(self.hour, 0, 0).expect("hour below 24");
        let local_day = after.with_timezone(&self.timezone).date_naive();
        // Yesterday's local date covers zones behind UTC; eight days a week.
        (-1..=8)
            .map(|offset| local_day + Duration::days(offset))
            .filter(|day| self.cadence == EmailCadence::Daily || day.weekday() == self.weekday)
            .map(|day| resolve_local(self.timezone, day.and_time(at_hour)))
            .find(|at| *at > after)
    }

    /// "daily at 08:00 (Europe/Berlin)", "every Monday at 07:00 (UTC)".
    pub fn describe(&self) -> String {
        let zone = self.timezone.name();
        match self.cadence {
            EmailCadence::AtOnce => "one email per notification, as it happens".to_owned(),
            EmailCadence::Daily => format!("daily at {:02}:00 ({zone})", self.hour),
            EmailCadence::Weekly => format!(
                "every {} at {:02}:00 ({zone})",
                weekday_name(self.weekday),
                self.hour
            ),
        }
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// One notification held for a digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestLine {
    pub kind: NotificationKind,
    pub title: String,
    /// Path in the portal, e.g. `/changes/…`.
    pub link: String,
    pub at: DateTime<Utc>,
}

/// The digest email: a subject with the count, the counts per kind, then
/// every notification (oldest first) with its link.
pub fn compose(
    schedule: &DigestSchedule,
    lines: &[DigestLine],
    public_url: &str,
) -> (String, String) {
    let period = match schedule.cadence {
        EmailCadence::Weekly => "weekly",
        _ => "daily",
    };
    let count = lines.len();
    let noun = if count == 1 {
        "notification"
    } else {
        "notifications"
    };
    let subject = format!("Your {period} Tenantry digest: {count} {noun}");
    let mut body = format!("{count} {noun} since your last digest.\n\n");
    for kind in NotificationKind::ALL {
        let of_kind = lines.iter().filter(|l| l.kind == kind).count();
        if of_kind > 0 {
            body.push_str(&format!("{of_kind} × {}\n", kind.label()));
        }
    }
    body.push('\n');
    let mut sorted: Vec<&DigestLine> = lines.iter().collect();
    sorted.sort_by_key(|l| l.at);
    for line in sorted {
        let local = line.at.with_timezone(&schedule.timezone);
        body.push_str(&format!(
            "- {} ({})\n  {public_url}{}\n",
            line.title,
            local.format("%a %d %b %H:%M"),
            line.link
        ));
    }
    body.push_str(&format!(
        "\nAll notifications: {public_url}/notifications\nYou receive this {}. Change it in {public_url}/settings/notifications\n",
        schedule.describe()
    ));
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn daily(hour: u32, zone: Tz) -> DigestSchedule {
        DigestSchedule {
            cadence: EmailCadence::Daily,
            hour,
            weekday: Weekday::Mon,
            timezone: zone,
        }
    }

    #[test]
    fn a_daily_digest_goes_at_the_chosen_local_hour() {
        let berlin = daily(8, chrono_tz::Europe::Berlin);
        // 06:00 UTC on a winter day is 07:00 in Berlin: today's 08:00 is next.
        assert_eq!(
            berlin.next_after(at("2026-12-07T06:00:00Z")),
            Some(at("2026-12-07T07:00:00Z"))
        );
        // Exactly at the send time, the next one is tomorrow's.
        assert_eq!(
            berlin.next_after(at("2026-12-07T07:00:00Z")),
            Some(at("2026-12-08T07:00:00Z"))
        );
        // In summer Berlin is UTC+2.
        assert_eq!(
            berlin.next_after(at("2026-07-01T12:00:00Z")),
            Some(at("2026-07-02T06:00:00Z"))
        );
    }

    #[test]
    fn zones_behind_utc_use_their_own_date() {
        let new_york = daily(20, chrono_tz::America::New_York);
        // 00:30 UTC on the 8th is 19:30 on the 7th in New York.
        assert_eq!(
            new_york.next_after(at("2026-12-08T00:30:00Z")),
            Some(at("2026-12-08T01:00:00Z"))
        );
    }

    #[test]
    fn a_weekly_digest_waits_for_its_day() {
        let schedule = DigestSchedule {
            cadence: EmailCadence::Weekly,
            hour: 7,
            weekday: Weekday::Fri,
            timezone: Tz::UTC,
        };
        // Monday 7 December 2026 → Friday the 11th.
        assert_eq!(
            schedule.next_after(at("2026-12-07T10:00:00Z")),
            Some(at("2026-12-11T07:00:00Z"))
        );
        assert_eq!(
            schedule.next_after(at("2026-12-11T07:00:00Z")),
            Some(at("2026-12-18T07:00:00Z"))
        );
        assert_eq!(schedule.describe(), "every Friday at 07:00 (UTC)");
    }

    #[test]
    fn a_send_hour_skipped_by_daylight_saving_goes_just_after_the_gap() {
        let berlin = daily(2, chrono_tz::Europe::Berlin);
        // 29 March 2026: clocks jump from 02:00 to 03:00 (01:00 UTC).
        assert_eq!(
            berlin.next_after(at("2026-03-28T12:00:00Z")),
            Some(at("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn critical_alerts_never_wait_for_a_digest() {
        let schedule = daily(8, Tz::UTC);
        assert!(!schedule.holds(NotificationKind::SecurityAlert));
        assert!(!schedule.holds(NotificationKind::ApprovalRequested));
        assert!(schedule.holds(NotificationKind::ChangeFinished));
        assert!(schedule.holds(NotificationKind::EolNotice));
        let at_once = DigestSchedule::default();
        assert!(!at_once.holds(NotificationKind::ChangeFinished));
        assert_eq!(at_once.next_after(Utc::now()), None);
    }

    #[test]
    fn the_form_names_each_bad_field() {
        let errors = DigestSchedule::parse("hourly", "24", "someday", "Mars/Base").unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["cadence", "hour", "weekday", "timezone"]);
        let good = DigestSchedule::parse("weekly", "7", "FRI", "europe/berlin").unwrap();
        assert_eq!(good.weekday, Weekday::Fri);
        assert_eq!(good.timezone, chrono_tz::Europe::Berlin);
    }

    #[test]
    fn one_email_counts_every_kind_and_links_every_notification() {
        let schedule = daily(8, chrono_tz::Europe::Berlin);
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        let lines = vec![
            DigestLine {
                kind: NotificationKind::ChangeFinished,
                title: "Succeeded: Upgrade acme to 5.2.0".into(),
                link: "/changes/1".into(),
                at: t + Duration::hours(1),
            },
            DigestLine {
                kind: NotificationKind::ChangeFinished,
                title: "Failed: Upgrade beta to 5.2.0".into(),
                link: "/changes/2".into(),
                at: t,
            },
            DigestLine {
                kind: NotificationKind::EolNotice,
                title: "Edge 4.0 reaches end of life in 30 days".into(),
                link: "/tenants/acme/versions".into(),
                at: t,
            },
        ];
        let (subject, body) = compose(&schedule, &lines, "https://portal.example");
        assert_eq!(subject, "Your daily Tenantry digest: 3 notifications");
        assert!(
            body.contains("1 × End-of-life notices\n2 × Changes finished (succeeded or failed)\n"),
            "{body}"
        );
        assert!(body.contains("- Failed: Upgrade beta to 5.2.0 (Mon 07 Dec 10:00)\n  https://portal.example/changes/2\n"), "{body}");
        let first = body.find("Failed: Upgrade beta").unwrap();
        let later = body.find("Succeeded: Upgrade acme").unwrap();
        assert!(first < later, "oldest first");
        assert!(body.contains("daily at 08:00 (Europe/Berlin)"));
    }
}
