//! When a change may run on a tenant: weekly maintenance windows in the
//! tenant's own time zone, blackouts (the tenant's and the organisation's)
//! during which nothing starts, and how long a tenant may keep delaying an
//! update before the platform has to agree.
//!
//! Server only: the IANA zone database (chrono-tz) is too large for the wasm
//! bundle, and the browser only ever shows the sentences computed here.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::validation::FieldErrors;

const MINUTES_PER_DAY: u32 = 24 * 60;

/// How far ahead [`next_allowed_start`] looks before giving up.
pub const SEARCH_DAYS: i64 = 400;

/// A weekly slot in local time of the tenant's zone. It may cross midnight
/// (Sat 22:00–Sun 02:00); the duration is wall-clock minutes, so on a DST
/// change day the real window is an hour shorter or longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub duration_minutes: u32,
}

impl MaintenanceWindow {
    /// Reads a window from a form: a weekday (`sat`, `Saturday`, any case)
    /// and two `HH:MM` clock times. An end at or before the start ends on the
    /// next day, so an end equal to the start is a whole day; `24:00` is
    /// accepted as an end for "until midnight".
    pub fn parse(weekday: &str, start: &str, end: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let day = parse_weekday(weekday);
        if day.is_none() {
            let message = if weekday.trim().is_empty() {
                "Choose the day the window starts on: mon, tue, wed, thu, fri, sat or sun."
                    .to_string()
            } else {
                format!(
                    "'{}' is not a day of the week; use mon, tue, wed, thu, fri, sat or sun.",
                    weekday.trim()
                )
            };
            errors.push("weekday", message);
        }
        let start_minutes = clock_minutes(start).filter(|m| *m < MINUTES_PER_DAY);
        if start_minutes.is_none() {
            errors.push(
                "start",
                "Enter the start time as HH:MM in 24-hour time, e.g. 02:00.",
            );
        }
        let end_minutes = clock_minutes(end);
        if end_minutes.is_none() {
            errors.push(
                "end",
                "Enter the end time as HH:MM in 24-hour time, e.g. 06:00; an end at or before the start means the next day.",
            );
        }
        errors.into_result(|| {
            let (start, end) = (start_minutes.unwrap_or(0), end_minutes.unwrap_or(0));
            let duration = (end + MINUTES_PER_DAY - start) % MINUTES_PER_DAY;
            Self {
                weekday: day.unwrap_or(Weekday::Mon),
                start: minutes_to_time(start),
                duration_minutes: if duration == 0 {
                    MINUTES_PER_DAY
                } else {
                    duration
                },
            }
        })
    }

    /// "Sat 02:00–06:00", or "Sat 22:00–Sun 02:00" when it ends on another day.
    pub fn describe(&self) -> String {
        let (end_day, end) = self.end_day_and_minutes();
        let start = format!("{} {}", short_day(self.weekday), self.start_label());
        if end_day == 0 {
            format!("{start}–{}", clock_label(end))
        } else {
            let weekday = (0..end_day).fold(self.weekday, |day, _| day.succ());
            format!("{start}–{} {}", short_day(weekday), clock_label(end))
        }
    }

    pub fn start_label(&self) -> String {
        self.start.format("%H:%M").to_string()
    }

    /// The local clock time the window ends, "HH:MM" (whatever the day).
    pub fn end_label(&self) -> String {
        clock_label(self.end_day_and_minutes().1)
    }

    /// Days after the start day, and minute of that day, the window ends.
    fn end_day_and_minutes(&self) -> (u32, u32) {
        let start = self.start.hour() * 60 + self.start.minute();
        let end = start + self.duration_minutes;
        (end / MINUTES_PER_DAY, end % MINUTES_PER_DAY)
    }
}

/// `mon`…`sun`, the full names, or any prefix of at least three letters
/// (`tues`, `thurs`), in any case.
fn parse_weekday(raw: &str) -> Option<Weekday> {
    let name = raw.trim().to_ascii_lowercase();
    if name.len() < 3 {
        return None;
    }
    [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ]
    .into_iter()
    .find(|(full, _)| full.starts_with(&name))
    .map(|(_, day)| day)
}

fn short_day(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

/// Minutes since midnight for `H:MM` or `HH:MM` (an `:00` seconds part, as
/// some browsers send, is allowed). `24:00` is 1440, for ends only.
fn clock_minutes(raw: &str) -> Option<u32> {
    let mut parts = raw.trim().split(':');
    let (hours, minutes, seconds) = (parts.next()?, parts.next()?, parts.next());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some()
        || !(1..=2).contains(&hours.len())
        || minutes.len() != 2
        || !digits(hours)
        || !digits(minutes)
        || seconds.is_some_and(|s| s != "00")
    {
        return None;
    }
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    match (hours, minutes) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

fn minutes_to_time(minutes: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap_or(NaiveTime::MIN)
}

fn clock_label(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The time zone a tenant's update policy keeps, stored by its canonical
/// IANA name; a stored name that no longer reads is an error, never UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyZone(pub Tz);

impl PolicyZone {
    pub fn as_str(self) -> &'static str {
        self.0.name()
    }

    /// Exactly a canonical name, as `as_str` writes it.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.parse::<Tz>().ok().map(Self)
    }
}

/// Reads an IANA zone name. Exact names first; a name in the wrong case
/// (`europe/berlin`) is forgiven, since there is only one zone it can mean.
pub fn parse_timezone(raw: &str) -> Result<Tz, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Enter an IANA time zone, e.g. Europe/Berlin or America/New_York.".to_string());
    }
    if let Ok(zone) = name.parse::<Tz>() {
        return Ok(zone);
    }
    chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .find(|zone| zone.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            format!("'{name}' is not an IANA time zone, e.g. Europe/Berlin or America/New_York.")
        })
}

/// A period in which no change may start: `[starts_at, ends_at)`. Either the
/// tenant's own or one for the whole organisation (year-end freeze); both
/// count the same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blackout {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub organisation_wide: bool,
}

pub const MAX_BLACKOUT_REASON_CHARS: usize = 200;

impl Blackout {
    /// Reads a blackout from a form, in local time of `timezone`. A date
    /// alone (`2026-12-24`) means whole days, both ends inclusive: from the
    /// start day's midnight to the midnight after the end day. A local date
    /// and time (`2026-12-24T18:00`) is taken as is. Returns the UTC bounds
    /// and the trimmed reason; the caller decides whose blackout it is.
    pub fn parse(
        starts: &str,
        ends: &str,
        reason: &str,
        timezone: Tz,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let format_hint = "a date (YYYY-MM-DD) or a local date and time (YYYY-MM-DDTHH:MM)";
        let starts_at = parse_local_point(starts).map(|point| match point {
            LocalPoint::Day(day) => resolve_local(timezone, day.and_time(NaiveTime::MIN)),
            LocalPoint::At(at) => resolve_local(timezone, at),
        });
        if starts_at.is_none() {
            errors.push(
                "starts",
                format!("Enter when the blackout starts as {format_hint}."),
            );
        }
        let ends_at = parse_local_point(ends).and_then(|point| match point {
            LocalPoint::Day(day) => day
                .succ_opt()
                .map(|next| resolve_local(timezone, next.and_time(NaiveTime::MIN))),
            LocalPoint::At(at) => Some(resolve_local(timezone, at)),
        });
        match (starts_at, ends_at) {
            (_, None) => errors.push(
                "ends",
                format!("Enter when the blackout ends as {format_hint}; a date alone includes that whole day."),
            ),
            (Some(starts_at), Some(ends_at)) if ends_at <= starts_at => {
                errors.push("ends", "The blackout must end after it starts.")
            }
            _ => {}
        }
        let reason = reason.trim();
        if reason.is_empty() {
            errors.push(
                "reason",
                "Say why changes are paused, e.g. Year-end freeze; people see it when their change waits.",
            );
        } else if reason.chars().count() > MAX_BLACKOUT_REASON_CHARS {
            errors.push(
                "reason",
                format!("Keep the reason to {MAX_BLACKOUT_REASON_CHARS} characters or fewer."),
            );
        }
        errors.into_result(|| {
            (
                starts_at.unwrap_or_default(),
                ends_at.unwrap_or_default(),
                reason.to_string(),
            )
        })
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

enum LocalPoint {
    Day(NaiveDate),
    At(NaiveDateTime),
}

fn parse_local_point(raw: &str) -> Option<LocalPoint> {
    let raw = raw.trim();
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(LocalPoint::Day(day));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .map(LocalPoint::At)
}

/// The instant a local wall-clock time names in `zone`. A time that does not
/// exist (skipped by a spring-forward change) means the first instant after
/// the gap; a time that happens twice (fall-back) means the earlier one. So
/// "02:30 on the last Sunday of March" in Berlin is 03:00 CEST, and a window
/// never silently disappears.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => first.min(second).with_timezone(&Utc),
        LocalResult::None => first_instant_after_gap(zone, local),
    }
}

fn first_instant_after_gap(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Walk to the first local minute that exists again; it lies after the gap.
    let after = (1..=2 * i64::from(MINUTES_PER_DAY)).find_map(|step| {
        match zone.from_local_datetime(&(local + Duration::minutes(step))) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at),
            LocalResult::None => None,
        }
    });
    let Some(after) = after else {
        // No zone has a gap of two days; read the time as UTC rather than fail.
        return local.and_utc();
    };
    // The gap ends at the transition: the first instant with the new offset.
    // Read with the new offset, `local` lies before it; `after` lies after.
    let new_offset = after.offset().fix();
    let mut before = local.and_utc() - Duration::seconds(i64::from(new_offset.local_minus_utc()));
    let mut at = after.with_timezone(&Utc);
    while at - before > Duration::seconds(1) {
        let middle = before + (at - before) / 2;
        if zone.offset_from_utc_datetime(&middle.naive_utc()).fix() == new_offset {
            at = middle;
        } else {
            before = middle;
        }
    }
    at
}

/// Everything that decides when a tenant's changes may start.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateSchedule {
    pub timezone: Tz,
    /// No windows means any time (outside blackouts).
    pub windows: Vec<MaintenanceWindow>,
    /// The tenant's blackouts and the organisation's, together.
    pub blackouts: Vec<Blackout>,
}

/// When a change may start, and why then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStart {
    pub at: DateTime<Utc>,
    /// When the allowed period that `at` falls in ends: the end of the
    /// window, or earlier when a blackout begins inside it. `None` when the
    /// tenant has no windows (any time).
    pub until: Option<DateTime<Utc>>,
    /// A sentence for the change page: why this time.
    pub reason: String,
}

/// One concrete occurrence of a window, in UTC.
struct Occurrence<'a> {
    window: &'a MaintenanceWindow,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// Overlapping or touching occurrences, merged: a change may run across them.
struct Period<'a> {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    members: Vec<Occurrence<'a>>,
}

/// Every occurrence of the schedule's windows that starts on a local date in
/// `from..=to`, in order of start. Empty occurrences (a window that falls
/// wholly into a spring-forward gap) are left out.
fn occurrences(schedule: &UpdateSchedule, from: NaiveDate, to: NaiveDate) -> Vec<Occurrence<'_>> {
    let mut found = Vec::new();
    for day in from.iter_days().take_while(|day| *day <= to) {
        for window in schedule
            .windows
            .iter()
            .filter(|w| w.weekday == day.weekday())
        {
            let local_start = day.and_time(window.start);
            let local_end = local_start + Duration::minutes(i64::from(window.duration_minutes));
            let start = resolve_local(schedule.timezone, local_start);
            let end = resolve_local(schedule.timezone, local_end);
            if end > start {
                found.push(Occurrence { window, start, end });
            }
        }
    }
    found.sort_by_key(|o| (o.start, o.end));
    found
}

fn periods(occurrences: Vec<Occurrence<'_>>) -> Vec<Period<'_>> {
    let mut merged: Vec<Period<'_>> = Vec::new();
    for occurrence in occurrences {
        match merged.last_mut() {
            Some(period) if occurrence.start <= period.end => {
                period.end = period.end.max(occurrence.end);
                period.members.push(occurrence);
            }
            _ => merged.push(Period {
                start: occurrence.start,
                end: occurrence.end,
                members: vec![occurrence],
            }),
        }
    }
    merged
}

/// Local days before `at`'s date whose windows may still be open at `at`.
fn lookback_days(schedule: &UpdateSchedule) -> i64 {
    let longest = schedule
        .windows
        .iter()
        .map(|w| w.duration_minutes)
        .max()
        .unwrap_or(0);
    i64::from(longest.div_ceil(MINUTES_PER_DAY)) + 1
}

/// The first instant at or after `at` outside every blackout, and the last
/// blackout that pushed it there. Overlapping and back-to-back blackouts are
/// crossed in one go.
fn first_clear(
    blackouts: &[Blackout],
    mut at: DateTime<Utc>,
) -> (DateTime<Utc>, Option<&Blackout>) {
    let mut pushed_by = None;
    while let Some(blackout) = blackouts
        .iter()
        .filter(|b| b.contains(at))
        .max_by_key(|b| b.ends_at)
    {
        at = blackout.ends_at;
        pushed_by = Some(blackout);
    }
    (at, pushed_by)
}

/// The earliest instant at or after `earliest` that lies inside a
/// maintenance window (any instant when there are none) and outside every
/// blackout, with the end of that allowed period and a sentence saying why.
///
/// A blackout covering the start of a window moves the start to the
/// blackout's end when the window is still open then; a window wholly
/// inside a blackout is skipped. Windows are placed in local time of the
/// schedule's zone across DST changes (see [`resolve_local`]). Looks
/// [`SEARCH_DAYS`] ahead; `None` when nothing is allowed in that time (every
/// window inside a long blackout, for instance).
pub fn next_allowed_start(schedule: &UpdateSchedule, earliest: DateTime<Utc>) -> Option<NextStart> {
    let zone = schedule.timezone;
    let horizon = earliest + Duration::days(SEARCH_DAYS);

    if schedule.windows.is_empty() {
        let (at, pushed_by) = first_clear(&schedule.blackouts, earliest);
        if at > horizon {
            return None;
        }
        let reason = match pushed_by {
            None => "No maintenance windows: any time outside blackouts".to_string(),
            Some(blackout) => after_blackout(blackout, zone),
        };
        return Some(NextStart {
            at,
            until: None,
            reason,
        });
    }

    let today = earliest.with_timezone(&zone).date_naive();
    let from = today - Duration::days(lookback_days(schedule));
    let to = today + Duration::days(SEARCH_DAYS);
    let mut skipped_for: Option<&Blackout> = None;
    for period in periods(occurrences(schedule, from, to)) {
        if period.end <= earliest {
            continue;
        }
        let begin = period.start.max(earliest);
        if begin > horizon {
            break;
        }
        let (at, pushed_by) = first_clear(&schedule.blackouts, begin);
        if at >= period.end {
            skipped_for = pushed_by;
            continue;
        }
        let next_blackout = schedule
            .blackouts
            .iter()
            .filter(|b| b.starts_at > at && b.starts_at < period.end)
            .min_by_key(|b| b.starts_at);
        let until = next_blackout.map_or(period.end, |b| b.starts_at);
        let window = period
            .members
            .iter()
            .find(|o| o.start <= at && at < o.end)
            .unwrap_or(&period.members[0])
            .window;
        let in_window = format!("{} ({})", window.describe(), zone.name());
        let reason = if at == earliest {
            let mut text = format!(
                "Inside the maintenance window {in_window} until {}",
                until_label(at, until, zone)
            );
            if let Some(blackout) = next_blackout {
                text.push_str(&format!(", when the blackout {} begins", name_of(blackout)));
            }
            text
        } else if let Some(blackout) = pushed_by {
            format!(
                "{}, inside the maintenance window {}",
                after_blackout(blackout, zone),
                window.describe()
            )
        } else {
            let mut text = format!("Next maintenance window {in_window}");
            if let Some(blackout) = skipped_for {
                text.push_str(&format!(
                    "; the blackout {} covers the one before",
                    name_of(blackout)
                ));
            }
            text
        };
        return Some(NextStart {
            at,
            until: Some(until),
            reason,
        });
    }
    None
}

/// Whether a change may start at `now`: inside a window (or there are none)
/// and outside every blackout. Agrees with [`next_allowed_start`] returning
/// `now` itself.
pub fn is_allowed_now(schedule: &UpdateSchedule, now: DateTime<Utc>) -> bool {
    if schedule.blackouts.iter().any(|b| b.contains(now)) {
        return false;
    }
    if schedule.windows.is_empty() {
        return true;
    }
    let today = now.with_timezone(&schedule.timezone).date_naive();
    let from = today - Duration::days(lookback_days(schedule));
    occurrences(schedule, from, today)
        .iter()
        .any(|o| o.start <= now && now < o.end)
}

/// When the maintenance window open at `now` closes (overlapping windows
/// count as one), as "Sun 06:00 (Europe/Berlin)", or "06:00 (…)" on the
/// same local day; `None` outside every window. The expected end of work
/// that keeps a tenant read-only.
pub fn open_window_end(schedule: &UpdateSchedule, now: DateTime<Utc>) -> Option<String> {
    let today = now.with_timezone(&schedule.timezone).date_naive();
    let from = today - Duration::days(lookback_days(schedule));
    let to = today + Duration::days(lookback_days(schedule));
    let end = periods(occurrences(schedule, from, to))
        .into_iter()
        .find(|p| p.start <= now && now < p.end)?
        .end;
    Some(format!(
        "{} ({})",
        until_label(now, end, schedule.timezone),
        schedule.timezone.name()
    ))
}

fn name_of(blackout: &Blackout) -> String {
    if blackout.organisation_wide {
        format!("'{}' (organisation-wide)", blackout.reason)
    } else {
        format!("'{}'", blackout.reason)
    }
}

/// "After the blackout 'Year-end freeze' ends 2027-01-02 00:00 (Europe/Berlin)".
fn after_blackout(blackout: &Blackout, zone: Tz) -> String {
    format!(
        "After the blackout {} ends {} ({})",
        name_of(blackout),
        blackout
            .ends_at
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M"),
        zone.name()
    )
}

/// "06:00" when `until` is on the same local day as `at`, else "Sun 02:00".
fn until_label(at: DateTime<Utc>, until: DateTime<Utc>, zone: Tz) -> String {
    let (at, until) = (at.with_timezone(&zone), until.with_timezone(&zone));
    if at.date_naive() == until.date_naive() {
        until.format("%H:%M").to_string()
    } else {
        format!("{} {}", short_day(until.weekday()), until.format("%H:%M"))
    }
}

/// Whether a tenant may push an update back by itself or needs the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DelayDecision {
    Allowed,
    /// The delays would add up to more than `limit_days`; a platform
    /// administrator has to agree.
    NeedsPlatformApproval {
        limit_days: u32,
    },
}

/// Tenants may delay an update themselves up to `max_delay_days` in total,
/// counting earlier delays of the same change, so repeated small delays
/// cannot postpone it forever.
pub fn delay_decision(
    already_delayed_days: u32,
    requested_days: u32,
    max_delay_days: u32,
) -> DelayDecision {
    if already_delayed_days.saturating_add(requested_days) <= max_delay_days {
        DelayDecision::Allowed
    } else {
        DelayDecision::NeedsPlatformApproval {
            limit_days: max_delay_days,
        }
    }
}

pub const MAX_DELAY_DAYS: u32 = 90;

/// The reason a tenant gives for a delay. Beyond the policy's limit the
/// vendor's approvers decide on it, so there it must say something: 5 to 500
/// characters. Within the limit it is optional.
pub fn parse_delay_reason(raw: &str, decision: DelayDecision) -> Result<Option<String>, String> {
    let reason = raw.trim();
    match decision {
        DelayDecision::NeedsPlatformApproval { limit_days } if reason.chars().count() < 5 => {
            Err(format!(
                "This delay goes beyond the policy's {limit_days} days, so the vendor's approvers decide on it: say why the change must wait (at least 5 characters)."
            ))
        }
        _ if reason.chars().count() > 500 => Err("Keep the reason to 500 characters.".into()),
        _ => Ok((!reason.is_empty()).then(|| reason.to_owned())),
    }
}

pub fn parse_delay_days(raw: &str) -> Result<u32, String> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|days| (1..=MAX_DELAY_DAYS).contains(days))
        .ok_or_else(|| {
            format!("Enter the delay as a whole number of days from 1 to {MAX_DELAY_DAYS}.")
        })
}

/// How many of a tenant's changes may run at once: the vendor's per-tenant
/// override, else the plan's `concurrent_updates` quota, else one. Never
/// below one (a limit of zero would queue the tenant's work for ever).
pub fn concurrency_limit(plan_quota: Option<i64>, tenant_override: Option<i32>) -> u32 {
    let limit = tenant_override.map(i64::from).or(plan_quota).unwrap_or(1);
    limit.clamp(1, 1_000) as u32
}

/// Why a due change must wait for the tenant's running ones, if it must.
pub fn concurrency_wait(running: u64, limit: u32) -> Option<String> {
    (running >= u64::from(limit)).then(|| {
        let plural = if running == 1 { "" } else { "s" };
        format!(
            "Queued: {running} change{plural} already running on this tenant (at most {limit} at once); it starts when one finishes."
        )
    })
}

#[cfg(test)]
mod concurrency_tests {
    use super::*;

    #[test]
    fn the_vendor_override_beats_the_plan_and_the_limit_is_at_least_one() {
        assert_eq!(concurrency_limit(Some(3), None), 3);
        assert_eq!(concurrency_limit(Some(3), Some(1)), 1);
        assert_eq!(concurrency_limit(None, None), 1);
        assert_eq!(concurrency_limit(Some(0), None), 1);
        assert_eq!(concurrency_limit(None, Some(-4)), 1);
    }

    #[test]
    fn a_change_waits_only_while_the_tenant_is_at_its_limit() {
        assert_eq!(concurrency_wait(0, 1), None);
        assert_eq!(concurrency_wait(1, 2), None);
        let waiting = concurrency_wait(2, 2).unwrap();
        assert!(
            waiting.contains("2 changes already running") && waiting.contains("at most 2"),
            "{waiting}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;
    const NEW_YORK: Tz = chrono_tz::America::New_York;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// An instant given as unambiguous local wall-clock time in `zone`.
    fn local(zone: Tz, text: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        zone.from_local_datetime(&naive)
            .single()
            .expect("an unambiguous local time")
            .with_timezone(&Utc)
    }

    fn window(weekday: &str, start: &str, end: &str) -> MaintenanceWindow {
        MaintenanceWindow::parse(weekday, start, end).unwrap()
    }

    fn schedule(zone: Tz, windows: Vec<MaintenanceWindow>) -> UpdateSchedule {
        UpdateSchedule {
            timezone: zone,
            windows,
            blackouts: Vec::new(),
        }
    }

    fn blackout(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, reason: &str) -> Blackout {
        Blackout {
            starts_at,
            ends_at,
            reason: reason.to_string(),
            organisation_wide: false,
        }
    }

    /// Saturday night maintenance in Berlin. 2027-01-09 is a Saturday.
    fn saturday_early() -> UpdateSchedule {
        schedule(BERLIN, vec![window("sat", "02:00", "06:00")])
    }

    #[test]
    fn the_open_window_s_end_is_the_expected_end_of_read_only_work() {
        let plan = saturday_early();
        assert_eq!(
            open_window_end(&plan, local(BERLIN, "2027-01-09 03:30")).as_deref(),
            Some("06:00 (Europe/Berlin)")
        );
        assert_eq!(
            open_window_end(&plan, local(BERLIN, "2027-01-09 06:00")),
            None,
            "the window has closed"
        );
        let overnight = schedule(BERLIN, vec![window("sat", "22:00", "02:00")]);
        assert_eq!(
            open_window_end(&overnight, local(BERLIN, "2027-01-09 23:00")).as_deref(),
            Some("Sun 02:00 (Europe/Berlin)"),
            "a window crossing midnight names the day it ends"
        );
        assert_eq!(open_window_end(&schedule(BERLIN, vec![]), Utc::now()), None);
    }

    // ----- windows -----

    #[test]
    fn a_window_reads_weekday_and_clock_times() {
        assert_eq!(
            MaintenanceWindow::parse("sat", "02:00", "06:00"),
            Ok(MaintenanceWindow {
                weekday: Weekday::Sat,
                start: NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
                duration_minutes: 240,
            })
        );
        for name in ["Saturday", "SAT", " sat ", "satur"] {
            assert_eq!(
                window(name, "02:00", "06:00").weekday,
                Weekday::Sat,
                "{name}"
            );
        }
        assert_eq!(window("tues", "2:00", "3:30").weekday, Weekday::Tue);
        assert_eq!(window("thu", "2:00", "3:30").duration_minutes, 90);
        assert_eq!(window("sun", "02:00:00", "03:00:00").duration_minutes, 60);
    }

    #[test]
    fn an_end_at_or_before_the_start_ends_the_next_day() {
        assert_eq!(window("sat", "22:00", "02:00").duration_minutes, 240);
        assert_eq!(window("sat", "02:00", "02:00").duration_minutes, 24 * 60);
        assert_eq!(window("sat", "22:00", "00:00").duration_minutes, 120);
        assert_eq!(window("sat", "22:00", "24:00").duration_minutes, 120);
        assert_eq!(window("sat", "00:00", "24:00").duration_minutes, 24 * 60);
    }

    #[test]
    fn windows_describe_themselves_with_the_end_day_when_it_differs() {
        assert_eq!(
            window("sat", "02:00", "06:00").describe(),
            "Sat 02:00–06:00"
        );
        assert_eq!(
            window("sat", "22:00", "02:00").describe(),
            "Sat 22:00–Sun 02:00"
        );
        assert_eq!(
            window("sun", "22:00", "02:00").describe(),
            "Sun 22:00–Mon 02:00"
        );
        assert_eq!(
            window("mon", "03:00", "03:00").describe(),
            "Mon 03:00–Tue 03:00"
        );
        assert_eq!(window("sat", "22:00", "02:00").end_label(), "02:00");
        assert_eq!(window("sat", "22:00", "02:00").start_label(), "22:00");
    }

    #[test]
    fn a_described_window_reads_back_as_the_same_window() {
        let original = window("fri", "23:30", "01:15");
        let again = MaintenanceWindow::parse("fri", &original.start_label(), &original.end_label());
        assert_eq!(again, Ok(original));
    }

    #[test]
    fn bad_windows_report_every_field_with_a_fix() {
        let errors = MaintenanceWindow::parse("someday", "25:00", "6pm").unwrap_err();
        assert_eq!(
            errors.for_field("weekday"),
            Some("'someday' is not a day of the week; use mon, tue, wed, thu, fri, sat or sun.")
        );
        assert_eq!(
            errors.for_field("start"),
            Some("Enter the start time as HH:MM in 24-hour time, e.g. 02:00.")
        );
        assert!(
            errors
                .for_field("end")
                .unwrap()
                .starts_with("Enter the end time as HH:MM")
        );
        assert_eq!(errors.0.len(), 3);

        let empty = MaintenanceWindow::parse("", "", "").unwrap_err();
        assert!(
            empty
                .for_field("weekday")
                .unwrap()
                .starts_with("Choose the day")
        );
        for bad_time in [
            "24:00", "2", "02:0", "02:60", "-1:00", "02:00:30", "0200", "02h00",
        ] {
            assert!(
                MaintenanceWindow::parse("mon", bad_time, "06:00")
                    .unwrap_err()
                    .for_field("start")
                    .is_some(),
                "{bad_time}"
            );
        }
        assert!(MaintenanceWindow::parse("mo", "02:00", "06:00").is_err());
    }

    // ----- time zones -----

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(parse_timezone("Europe/Berlin"), Ok(BERLIN));
        assert_eq!(parse_timezone(" America/New_York "), Ok(NEW_YORK));
        assert_eq!(parse_timezone("europe/berlin"), Ok(BERLIN));
        assert_eq!(parse_timezone("UTC"), Ok(chrono_tz::UTC));
        let berlin = PolicyZone::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.as_str(), "Europe/Berlin");
        assert_eq!(
            PolicyZone::parse("Mars/Olympus_Mons"),
            None,
            "a stored zone that no longer reads is an error, not UTC"
        );
        assert_eq!(
            parse_timezone("Europe/Berln"),
            Err(
                "'Europe/Berln' is not an IANA time zone, e.g. Europe/Berlin or America/New_York."
                    .to_string()
            )
        );
        assert_eq!(
            parse_timezone(""),
            Err("Enter an IANA time zone, e.g. Europe/Berlin or America/New_York.".to_string())
        );
        assert!(parse_timezone("+02:00").is_err());
    }

    #[test]
    fn a_local_time_in_the_spring_gap_means_the_first_instant_after_it() {
        let gap = |zone, text| {
            resolve_local(
                zone,
                NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
            )
        };
        // Berlin skips 02:00–03:00 on 2027-03-28: 03:00 CEST is 01:00 UTC.
        assert_eq!(gap(BERLIN, "2027-03-28 02:30"), utc("2027-03-28T01:00:00Z"));
        assert_eq!(gap(BERLIN, "2027-03-28 02:00"), utc("2027-03-28T01:00:00Z"));
        assert_eq!(gap(BERLIN, "2027-03-28 03:00"), utc("2027-03-28T01:00:00Z"));
        // New York skips 02:00–03:00 on 2027-03-14: 03:00 EDT is 07:00 UTC.
        assert_eq!(
            gap(NEW_YORK, "2027-03-14 02:59"),
            utc("2027-03-14T07:00:00Z")
        );
    }

    #[test]
    fn a_local_time_that_happens_twice_means_the_earlier_instant() {
        let naive = |text| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        // 02:30 in Berlin on 2027-10-31 is first CEST (00:30 UTC), then CET.
        assert_eq!(
            resolve_local(BERLIN, naive("2027-10-31 02:30")),
            utc("2027-10-31T00:30:00Z")
        );
        // 01:30 in New York on 2027-11-07 is first EDT (05:30 UTC), then EST.
        assert_eq!(
            resolve_local(NEW_YORK, naive("2027-11-07 01:30")),
            utc("2027-11-07T05:30:00Z")
        );
    }

    // ----- next allowed start -----

    #[test]
    fn inside_a_window_a_change_starts_now_until_the_window_ends() {
        let asked = local(BERLIN, "2027-01-09 03:00");
        assert_eq!(
            next_allowed_start(&saturday_early(), asked),
            Some(NextStart {
                at: asked,
                until: Some(local(BERLIN, "2027-01-09 06:00")),
                reason: "Inside the maintenance window Sat 02:00–06:00 (Europe/Berlin) until 06:00"
                    .to_string(),
            })
        );
    }

    #[test]
    fn before_a_window_a_change_waits_for_its_next_occurrence() {
        let asked = local(BERLIN, "2027-01-08 12:00");
        assert_eq!(
            next_allowed_start(&saturday_early(), asked),
            Some(NextStart {
                at: local(BERLIN, "2027-01-09 02:00"),
                until: Some(local(BERLIN, "2027-01-09 06:00")),
                reason: "Next maintenance window Sat 02:00–06:00 (Europe/Berlin)".to_string(),
            })
        );
    }

    #[test]
    fn a_window_includes_its_start_and_excludes_its_end() {
        let at_start = local(BERLIN, "2027-01-09 02:00");
        assert_eq!(
            next_allowed_start(&saturday_early(), at_start).unwrap().at,
            at_start
        );
        let at_end = local(BERLIN, "2027-01-09 06:00");
        assert_eq!(
            next_allowed_start(&saturday_early(), at_end).unwrap().at,
            local(BERLIN, "2027-01-16 02:00"),
            "the window has closed: next week"
        );
    }

    #[test]
    fn a_window_crossing_midnight_is_open_after_midnight() {
        let weekend = schedule(BERLIN, vec![window("sat", "22:00", "02:00")]);
        let sunday_one = local(BERLIN, "2027-01-10 01:00");
        let next = next_allowed_start(&weekend, sunday_one).unwrap();
        assert_eq!(next.at, sunday_one);
        assert_eq!(next.until, Some(local(BERLIN, "2027-01-10 02:00")));
        assert_eq!(
            next.reason,
            "Inside the maintenance window Sat 22:00–Sun 02:00 (Europe/Berlin) until 02:00"
        );

        let saturday_late = local(BERLIN, "2027-01-09 23:00");
        let next = next_allowed_start(&weekend, saturday_late).unwrap();
        assert_eq!(next.at, saturday_late);
        assert!(next.reason.ends_with("until Sun 02:00"), "{}", next.reason);

        let sunday_three = local(BERLIN, "2027-01-10 03:00");
        assert_eq!(
            next_allowed_start(&weekend, sunday_three).unwrap().at,
            local(BERLIN, "2027-01-16 22:00")
        );
    }

    #[test]
    fn several_windows_pick_the_earliest_occurrence() {
        let twice = schedule(
            BERLIN,
            vec![
                window("sat", "02:00", "06:00"),
                window("wed", "20:00", "22:00"),
            ],
        );
        let monday = local(BERLIN, "2027-01-04 09:00");
        let next = next_allowed_start(&twice, monday).unwrap();
        assert_eq!(next.at, local(BERLIN, "2027-01-06 20:00"));
        assert_eq!(
            next.reason,
            "Next maintenance window Wed 20:00–22:00 (Europe/Berlin)"
        );
    }

    #[test]
    fn overlapping_windows_run_on_until_the_last_one_ends() {
        let chained = schedule(
            BERLIN,
            vec![
                window("sat", "22:00", "02:00"),
                window("sun", "01:00", "04:00"),
            ],
        );
        let next = next_allowed_start(&chained, local(BERLIN, "2027-01-09 12:00")).unwrap();
        assert_eq!(next.at, local(BERLIN, "2027-01-09 22:00"));
        assert_eq!(next.until, Some(local(BERLIN, "2027-01-10 04:00")));
    }

    #[test]
    fn a_spring_forward_gap_moves_the_window_start_to_the_end_of_the_gap() {
        // 02:30 does not exist in Berlin on Sunday 2027-03-28.
        let sunday = schedule(BERLIN, vec![window("sun", "02:30", "04:00")]);
        let next = next_allowed_start(&sunday, utc("2027-03-27T12:00:00Z")).unwrap();
        assert_eq!(next.at, utc("2027-03-28T01:00:00Z"), "03:00 CEST");
        assert_eq!(next.until, Some(utc("2027-03-28T02:00:00Z")), "04:00 CEST");
        // A week later the window is whole again, now in summer time.
        let later = next_allowed_start(&sunday, utc("2027-03-28T02:00:00Z")).unwrap();
        assert_eq!(later.at, utc("2027-04-04T00:30:00Z"));
        assert_eq!(later.until, Some(utc("2027-04-04T02:00:00Z")));
    }

    #[test]
    fn a_window_spanning_the_spring_gap_is_an_hour_shorter() {
        let sunday = schedule(BERLIN, vec![window("sun", "01:00", "04:00")]);
        let next = next_allowed_start(&sunday, utc("2027-03-27T12:00:00Z")).unwrap();
        assert_eq!(next.at, utc("2027-03-28T00:00:00Z"), "01:00 CET");
        assert_eq!(next.until, Some(utc("2027-03-28T02:00:00Z")), "04:00 CEST");
    }

    #[test]
    fn a_fall_back_window_starts_at_the_first_of_the_repeated_times() {
        // 02:00–03:00 happens twice in Berlin on Sunday 2027-10-31.
        let sunday = schedule(BERLIN, vec![window("sun", "02:30", "03:30")]);
        let next = next_allowed_start(&sunday, utc("2027-10-30T12:00:00Z")).unwrap();
        assert_eq!(next.at, utc("2027-10-31T00:30:00Z"), "02:30 CEST");
        assert_eq!(
            next.until,
            Some(utc("2027-10-31T02:30:00Z")),
            "03:30 CET: two real hours"
        );
        // During the second 02:45 (CET) the window is still open.
        let second_pass = utc("2027-10-31T01:45:00Z");
        assert_eq!(
            next_allowed_start(&sunday, second_pass).unwrap().at,
            second_pass
        );
        assert!(is_allowed_now(&sunday, second_pass));
    }

    #[test]
    fn new_york_windows_follow_us_daylight_saving() {
        // US summer time starts 2027-03-14 at 02:00: a 02:00–03:00 window
        // falls wholly into the gap that night and waits a week.
        let gap_hour = schedule(NEW_YORK, vec![window("sun", "02:00", "03:00")]);
        let next = next_allowed_start(&gap_hour, utc("2027-03-13T12:00:00Z")).unwrap();
        assert_eq!(
            next.at,
            utc("2027-03-21T06:00:00Z"),
            "02:00 EDT a week later"
        );

        let spanning = schedule(NEW_YORK, vec![window("sun", "01:30", "04:00")]);
        let next = next_allowed_start(&spanning, utc("2027-03-13T12:00:00Z")).unwrap();
        assert_eq!(next.at, utc("2027-03-14T06:30:00Z"), "01:30 EST");
        assert_eq!(next.until, Some(utc("2027-03-14T08:00:00Z")), "04:00 EDT");

        // It ends 2027-11-07 at 02:00: 01:30 happens twice; the first counts.
        let repeated = schedule(NEW_YORK, vec![window("sun", "01:30", "02:30")]);
        let next = next_allowed_start(&repeated, utc("2027-11-06T12:00:00Z")).unwrap();
        assert_eq!(next.at, utc("2027-11-07T05:30:00Z"), "01:30 EDT");
        assert_eq!(next.until, Some(utc("2027-11-07T07:30:00Z")), "02:30 EST");
    }

    #[test]
    fn a_window_inside_a_blackout_is_skipped_for_next_weeks() {
        let mut frozen = saturday_early();
        frozen.blackouts.push(blackout(
            local(BERLIN, "2027-01-08 00:00"),
            local(BERLIN, "2027-01-10 00:00"),
            "Quarter close",
        ));
        let next = next_allowed_start(&frozen, local(BERLIN, "2027-01-07 12:00")).unwrap();
        assert_eq!(next.at, local(BERLIN, "2027-01-16 02:00"));
        assert_eq!(next.until, Some(local(BERLIN, "2027-01-16 06:00")));
        assert_eq!(
            next.reason,
            "Next maintenance window Sat 02:00–06:00 (Europe/Berlin); the blackout 'Quarter close' covers the one before"
        );
    }

    #[test]
    fn a_blackout_ending_mid_window_lets_the_change_start_when_it_ends() {
        let mut frozen = saturday_early();
        frozen.blackouts.push(blackout(
            local(BERLIN, "2027-01-01 00:00"),
            local(BERLIN, "2027-01-09 04:00"),
            "Year-end freeze",
        ));
        let next = next_allowed_start(&frozen, local(BERLIN, "2027-01-05 12:00")).unwrap();
        assert_eq!(next.at, local(BERLIN, "2027-01-09 04:00"));
        assert_eq!(next.until, Some(local(BERLIN, "2027-01-09 06:00")));
        assert_eq!(
            next.reason,
            "After the blackout 'Year-end freeze' ends 2027-01-09 04:00 (Europe/Berlin), inside the maintenance window Sat 02:00–06:00"
        );
    }

    #[test]
    fn a_blackout_starting_mid_window_cuts_the_allowed_period_short() {
        let mut frozen = saturday_early();
        frozen.blackouts.push(blackout(
            local(BERLIN, "2027-01-09 04:00"),
            local(BERLIN, "2027-01-12 00:00"),
            "Release party",
        ));
        let asked = local(BERLIN, "2027-01-09 03:00");
        let next = next_allowed_start(&frozen, asked).unwrap();
        assert_eq!(next.at, asked);
        assert_eq!(next.until, Some(local(BERLIN, "2027-01-09 04:00")));
        assert_eq!(
            next.reason,
            "Inside the maintenance window Sat 02:00–06:00 (Europe/Berlin) until 04:00, when the blackout 'Release party' begins"
        );
    }

    #[test]
    fn without_windows_a_change_may_start_at_once() {
        let anytime = schedule(BERLIN, vec![]);
        let asked = utc("2027-01-05T10:17:00Z");
        assert_eq!(
            next_allowed_start(&anytime, asked),
            Some(NextStart {
                at: asked,
                until: None,
                reason: "No maintenance windows: any time outside blackouts".to_string(),
            })
        );
        assert!(is_allowed_now(&anytime, asked));
    }

    #[test]
    fn without_windows_a_blackout_still_holds_a_change_back() {
        let mut anytime = schedule(BERLIN, vec![]);
        anytime.blackouts.push(Blackout {
            organisation_wide: true,
            ..blackout(
                local(BERLIN, "2026-12-20 00:00"),
                local(BERLIN, "2027-01-02 00:00"),
                "Year-end freeze",
            )
        });
        let next = next_allowed_start(&anytime, local(BERLIN, "2026-12-24 12:00")).unwrap();
        assert_eq!(next.at, local(BERLIN, "2027-01-02 00:00"));
        assert_eq!(next.until, None);
        assert_eq!(
            next.reason,
            "After the blackout 'Year-end freeze' (organisation-wide) ends 2027-01-02 00:00 (Europe/Berlin)"
        );
    }

    #[test]
    fn organisation_and_tenant_blackouts_both_count_even_back_to_back() {
        let mut anytime = schedule(BERLIN, vec![]);
        let organisation = Blackout {
            organisation_wide: true,
            ..blackout(
                local(BERLIN, "2026-12-20 00:00"),
                local(BERLIN, "2027-01-02 00:00"),
                "Year-end freeze",
            )
        };
        let tenant = blackout(
            local(BERLIN, "2027-01-02 00:00"),
            local(BERLIN, "2027-01-04 08:00"),
            "Inventory count",
        );
        anytime.blackouts = vec![organisation.clone(), tenant.clone()];
        let asked = local(BERLIN, "2026-12-24 12:00");
        let next = next_allowed_start(&anytime, asked).unwrap();
        assert_eq!(next.at, local(BERLIN, "2027-01-04 08:00"));
        assert!(next.reason.contains("'Inventory count'"), "{}", next.reason);

        for only in [organisation, tenant] {
            anytime.blackouts = vec![only.clone()];
            assert!(!is_allowed_now(&anytime, only.starts_at), "{}", only.reason);
            assert_eq!(
                next_allowed_start(&anytime, only.starts_at).unwrap().at,
                only.ends_at
            );
        }
    }

    #[test]
    fn a_permanent_blackout_leaves_no_start() {
        let mut frozen = saturday_early();
        frozen.blackouts.push(blackout(
            local(BERLIN, "2027-01-01 00:00"),
            local(BERLIN, "2030-01-01 00:00"),
            "Frozen",
        ));
        assert_eq!(
            next_allowed_start(&frozen, local(BERLIN, "2027-01-05 00:00")),
            None
        );
        frozen.windows.clear();
        assert_eq!(
            next_allowed_start(&frozen, local(BERLIN, "2027-01-05 00:00")),
            None
        );
    }

    #[test]
    fn a_start_within_the_search_horizon_is_still_found() {
        let mut frozen = saturday_early();
        frozen.blackouts.push(blackout(
            local(BERLIN, "2027-01-01 00:00"),
            local(BERLIN, "2027-12-01 00:00"),
            "Long freeze",
        ));
        // 2027-12-04 is the first Saturday after the freeze.
        assert_eq!(
            next_allowed_start(&frozen, local(BERLIN, "2027-01-05 00:00"))
                .unwrap()
                .at,
            local(BERLIN, "2027-12-04 02:00")
        );
    }

    #[test]
    fn is_allowed_now_agrees_with_next_allowed_start() {
        let mut busy = schedule(
            BERLIN,
            vec![
                window("sat", "22:00", "02:00"),
                window("sun", "02:30", "04:00"),
            ],
        );
        busy.blackouts.push(blackout(
            local(BERLIN, "2027-03-27 23:00"),
            local(BERLIN, "2027-03-28 00:30"),
            "Short freeze",
        ));
        let mut at = utc("2027-03-26T00:00:00Z");
        let mut allowed = 0;
        while at < utc("2027-04-06T00:00:00Z") {
            let now = is_allowed_now(&busy, at);
            let next = next_allowed_start(&busy, at).map(|n| n.at);
            assert_eq!(now, next == Some(at), "{at}");
            assert!(next.is_some_and(|n| n >= at), "{at}");
            allowed += usize::from(now);
            at += Duration::minutes(15);
        }
        assert!(allowed > 20, "only {allowed} allowed quarters");
    }

    // ----- blackouts -----

    #[test]
    fn blackout_dates_cover_whole_local_days() {
        let (starts, ends, reason) =
            Blackout::parse("2026-12-24", "2027-01-01", " Year-end freeze ", BERLIN).unwrap();
        assert_eq!(starts, utc("2026-12-23T23:00:00Z"), "midnight in Berlin");
        assert_eq!(ends, utc("2027-01-01T23:00:00Z"), "the end day is included");
        assert_eq!(reason, "Year-end freeze");

        let (starts, ends, _) =
            Blackout::parse("2027-07-04", "2027-07-04", "Holiday", NEW_YORK).unwrap();
        assert_eq!(starts, utc("2027-07-04T04:00:00Z"));
        assert_eq!(ends, utc("2027-07-05T04:00:00Z"), "one day is a whole day");
    }

    #[test]
    fn blackout_times_are_local_to_the_tenant() {
        let (starts, ends, _) =
            Blackout::parse("2027-06-01T18:00", "2027-06-02 06:30", "Launch", BERLIN).unwrap();
        assert_eq!(starts, utc("2027-06-01T16:00:00Z"));
        assert_eq!(ends, utc("2027-06-02T04:30:00Z"));
    }

    #[test]
    fn bad_blackouts_report_every_field_with_a_fix() {
        let errors = Blackout::parse("24.12.2026", "soon", "  ", BERLIN).unwrap_err();
        assert_eq!(
            errors.for_field("starts"),
            Some(
                "Enter when the blackout starts as a date (YYYY-MM-DD) or a local date and time (YYYY-MM-DDTHH:MM)."
            )
        );
        assert!(
            errors
                .for_field("ends")
                .unwrap()
                .starts_with("Enter when the blackout ends")
        );
        assert!(
            errors
                .for_field("reason")
                .unwrap()
                .starts_with("Say why changes are paused")
        );

        let backwards = Blackout::parse("2027-01-05", "2027-01-04", "Oops", BERLIN).unwrap_err();
        assert_eq!(
            backwards.for_field("ends"),
            Some("The blackout must end after it starts.")
        );
        let empty =
            Blackout::parse("2027-01-05T10:00", "2027-01-05T10:00", "x", BERLIN).unwrap_err();
        assert_eq!(
            empty.for_field("ends"),
            Some("The blackout must end after it starts.")
        );
        let long = "x".repeat(MAX_BLACKOUT_REASON_CHARS + 1);
        assert!(
            Blackout::parse("2027-01-05", "2027-01-06", &long, BERLIN)
                .unwrap_err()
                .for_field("reason")
                .is_some()
        );
    }

    #[test]
    fn a_blackout_holds_from_its_start_up_to_but_not_including_its_end() {
        let freeze = blackout(
            utc("2027-01-01T00:00:00Z"),
            utc("2027-01-02T00:00:00Z"),
            "Freeze",
        );
        assert!(freeze.contains(utc("2027-01-01T00:00:00Z")));
        assert!(freeze.contains(utc("2027-01-01T23:59:59Z")));
        assert!(!freeze.contains(utc("2027-01-02T00:00:00Z")));
        assert!(!freeze.contains(utc("2026-12-31T23:59:59Z")));
    }

    // ----- delays -----

    #[test]
    fn delays_within_the_limit_need_no_one_else() {
        assert_eq!(delay_decision(0, 7, 14), DelayDecision::Allowed);
        assert_eq!(
            delay_decision(7, 7, 14),
            DelayDecision::Allowed,
            "exactly the limit"
        );
        assert_eq!(
            delay_decision(7, 8, 14),
            DelayDecision::NeedsPlatformApproval { limit_days: 14 }
        );
        assert_eq!(
            delay_decision(0, 1, 0),
            DelayDecision::NeedsPlatformApproval { limit_days: 0 }
        );
        assert_eq!(
            delay_decision(u32::MAX, 1, 14),
            DelayDecision::NeedsPlatformApproval { limit_days: 14 }
        );
    }

    #[test]
    fn a_delay_beyond_the_limit_needs_a_reason_for_the_approvers() {
        let beyond = DelayDecision::NeedsPlatformApproval { limit_days: 14 };
        assert_eq!(parse_delay_reason("", DelayDecision::Allowed), Ok(None));
        assert_eq!(
            parse_delay_reason("  freeze ", DelayDecision::Allowed),
            Ok(Some("freeze".into()))
        );
        let refused = parse_delay_reason("  ok  ", beyond).unwrap_err();
        assert!(refused.contains("14 days"), "{refused}");
        assert_eq!(
            parse_delay_reason("Year-end freeze at the customer", beyond),
            Ok(Some("Year-end freeze at the customer".into()))
        );
        assert!(parse_delay_reason(&"x".repeat(501), DelayDecision::Allowed).is_err());
        assert!(parse_delay_reason(&"x".repeat(500), beyond).is_ok());
    }

    #[test]
    fn a_delay_is_1_to_90_days() {
        assert_eq!(parse_delay_days("1"), Ok(1));
        assert_eq!(parse_delay_days(" 90 "), Ok(90));
        for bad in ["0", "91", "", "a week", "-1", "1.5"] {
            assert_eq!(
                parse_delay_days(bad),
                Err("Enter the delay as a whole number of days from 1 to 90.".to_string()),
                "{bad:?}"
            );
        }
    }
}

/// Properties of the schedule arithmetic over random windows, blackouts and
/// instants, in zones with and without daylight saving.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const ZONES: [Tz; 4] = [
        chrono_tz::UTC,
        chrono_tz::Europe::Berlin,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Lord_Howe,
    ];

    fn base() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn windows() -> impl Strategy<Value = Vec<MaintenanceWindow>> {
        proptest::collection::vec(
            (0u32..7, 0u32..24 * 4, 1u32..=(3 * 24 * 60)).prop_map(|(day, quarter, minutes)| {
                MaintenanceWindow {
                    weekday: Weekday::try_from(day as u8).unwrap(),
                    start: NaiveTime::from_hms_opt(quarter / 4, (quarter % 4) * 15, 0).unwrap(),
                    duration_minutes: minutes,
                }
            }),
            0..4,
        )
    }

    fn blackouts() -> impl Strategy<Value = Vec<Blackout>> {
        proptest::collection::vec(
            (0i64..(400 * 24 * 60), 1i64..(30 * 24 * 60)).prop_map(|(start, minutes)| {
                let starts_at = base() + Duration::minutes(start);
                Blackout {
                    starts_at,
                    ends_at: starts_at + Duration::minutes(minutes),
                    reason: "freeze".into(),
                    organisation_wide: false,
                }
            }),
            0..4,
        )
    }

    fn schedules() -> impl Strategy<Value = UpdateSchedule> {
        (0usize..ZONES.len(), windows(), blackouts()).prop_map(|(zone, windows, blackouts)| {
            UpdateSchedule {
                timezone: ZONES[zone],
                windows,
                blackouts,
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The answer is allowed, not before the asked time, and the first
        /// such instant: the second before it is not allowed.
        #[test]
        fn the_next_start_is_the_first_allowed_instant(
            schedule in schedules(),
            offset in 0i64..(400 * 24 * 3600),
        ) {
            let earliest = base() + Duration::seconds(offset);
            if let Some(next) = next_allowed_start(&schedule, earliest) {
                prop_assert!(next.at >= earliest);
                prop_assert!(is_allowed_now(&schedule, next.at), "{:?} at {}", schedule, next.at);
                if next.at > earliest {
                    prop_assert!(!is_allowed_now(&schedule, next.at - Duration::seconds(1)));
                }
                if let Some(until) = next.until {
                    prop_assert!(until > next.at);
                    prop_assert!(schedule.blackouts.iter().all(|b| !(b.starts_at > next.at && b.starts_at < until)),
                        "the allowed period ends at the next blackout");
                }
            } else {
                prop_assert!(!is_allowed_now(&schedule, earliest));
            }
        }

        /// Allowed now means the next start is now.
        #[test]
        fn allowed_now_agrees_with_the_next_start(
            schedule in schedules(),
            offset in 0i64..(400 * 24 * 3600),
        ) {
            let now = base() + Duration::seconds(offset);
            if is_allowed_now(&schedule, now) {
                prop_assert_eq!(next_allowed_start(&schedule, now).map(|n| n.at), Some(now));
            }
        }
    }
}
