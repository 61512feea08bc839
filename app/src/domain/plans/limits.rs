//! A tenant's effective limits (its plan's quotas and flags, with the
//! vendor's per-tenant overrides on top) and the checks made against what
//! the tenant uses: room for one more, a downgrade that would leave it over,
//! and how close to a quota its usage is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::{Quota, Quotas};

/// The vendor's override of one quota for one tenant: a number, or
/// unlimited (`None`).
pub type Overrides = BTreeMap<Quota, Option<u64>>;

/// What one quota is for a tenant, and where that comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveQuota {
    pub quota: Quota,
    /// The plan's number (`None`: unlimited).
    pub plan: Option<u64>,
    /// The override, when the vendor set one (`Some(None)`: unlimited).
    pub overridden: Option<Option<u64>>,
}

impl EffectiveQuota {
    /// The limit in force: the override when there is one, else the plan's.
    pub fn limit(&self) -> Option<u64> {
        self.overridden.unwrap_or(self.plan)
    }
}

/// Every quota of a tenant, the plan's with the overrides applied.
pub fn effective(plan: &Quotas, overrides: &Overrides) -> Vec<EffectiveQuota> {
    Quota::ALL
        .into_iter()
        .map(|quota| EffectiveQuota {
            quota,
            plan: plan.get(&quota).copied(),
            overridden: overrides.get(&quota).copied(),
        })
        .collect()
}

/// Whether `adding` more fit under `limit` beside `used`; the refusal says
/// which quota, how much is used and what to do.
pub fn check_room(quota: Quota, limit: Option<u64>, used: u64, adding: u64) -> Result<(), String> {
    match limit {
        Some(limit) if used.saturating_add(adding) > limit => Err(format!(
            "The tenant's {} quota is {limit} and {used} {} in use; free some or raise the quota (change the plan or ask the vendor for an override).",
            quota.label().to_lowercase(),
            if used == 1 { "is" } else { "are" },
        )),
        _ => Ok(()),
    }
}

/// One quota a tenant would be over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Excess {
    pub quota: Quota,
    pub limit: u64,
    pub used: u64,
}

impl Excess {
    pub fn describe(&self) -> String {
        format!(
            "{}: {} in use, the new limit is {}",
            self.quota.label(),
            self.used,
            self.limit
        )
    }
}

/// The amounts (not rates) the tenant uses beyond `limits`: what a plan
/// change would leave over quota. Overrides stay in force across a plan
/// change, so they are applied first.
pub fn exceeding(
    new_plan: &Quotas,
    overrides: &Overrides,
    usage: &BTreeMap<Quota, u64>,
) -> Vec<Excess> {
    effective(new_plan, overrides)
        .into_iter()
        .filter(|q| q.quota.is_amount())
        .filter_map(|q| {
            let limit = q.limit()?;
            let used = usage.get(&q.quota).copied().unwrap_or(0);
            (used > limit).then_some(Excess {
                quota: q.quota,
                limit,
                used,
            })
        })
        .collect()
}

/// How close usage is to its quota, for the 80 % / 100 % warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum UsageLevel {
    Fine,
    /// 80 % or more.
    Near,
    /// At or over the quota.
    Full,
}

impl UsageLevel {
    pub fn of(used: u64, limit: Option<u64>) -> Self {
        match limit {
            None => Self::Fine,
            Some(0) => Self::Full,
            Some(limit) if used >= limit => Self::Full,
            Some(limit) if used * 5 >= limit * 4 => Self::Near,
            _ => Self::Fine,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fine => "fine",
            Self::Near => "near",
            Self::Full => "full",
        }
    }

    /// A stored name; anything else reads as `Fine` (nothing announced yet).
    pub fn parse(raw: &str) -> Self {
        match raw {
            "near" => Self::Near,
            "full" => Self::Full,
            _ => Self::Fine,
        }
    }

    /// Whether moving from `before` to this level is announced: only a
    /// rise (to 80 % or to 100 %); falling back is recorded quietly.
    pub fn is_rise_from(self, before: UsageLevel) -> bool {
        self > before && self != Self::Fine
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Fine => "Within quota",
            Self::Near => "Near quota",
            Self::Full => "At quota",
        }
    }
}

/// The share of a quota in use, in whole percent (unlimited: none).
pub fn percent_used(used: u64, limit: Option<u64>) -> Option<u64> {
    match limit {
        None => None,
        Some(0) => Some(if used == 0 { 0 } else { 100 }),
        Some(limit) => Some(used.saturating_mul(100) / limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_the_plan_number_and_may_lift_it_entirely() {
        let plan = Quotas::from([(Quota::Users, 25), (Quota::Endpoints, 100)]);
        let overrides = Overrides::from([(Quota::Users, Some(40)), (Quota::Endpoints, None)]);
        let limits = effective(&plan, &overrides);
        let of = |q| limits.iter().find(|l| l.quota == q).unwrap().limit();
        assert_eq!(of(Quota::Users), Some(40));
        assert_eq!(of(Quota::Endpoints), None);
        assert_eq!(
            of(Quota::StorageGb),
            None,
            "left out of the plan: unlimited"
        );
        assert_eq!(limits.len(), Quota::ALL.len());
    }

    #[test]
    fn room_is_refused_only_past_the_limit_and_the_refusal_says_what_to_do() {
        assert!(check_room(Quota::Users, Some(3), 2, 1).is_ok());
        let refusal = check_room(Quota::Users, Some(3), 3, 1).unwrap_err();
        assert!(
            refusal.contains("users quota is 3 and 3 are in use"),
            "{refusal}"
        );
        assert!(check_room(Quota::Users, None, 1_000_000, 1).is_ok());
        assert!(check_room(Quota::Endpoints, Some(0), 0, 1).is_err());
    }

    #[test]
    fn a_downgrade_lists_every_amount_in_use_beyond_the_new_plan_but_not_rates() {
        let smaller = Quotas::from([
            (Quota::Users, 5),
            (Quota::Endpoints, 10),
            (Quota::ConcurrentUpdates, 1),
            (Quota::WebhookEndpoints, 2),
        ]);
        let usage = BTreeMap::from([
            (Quota::Users, 7),
            (Quota::Endpoints, 10),
            (Quota::ConcurrentUpdates, 3),
            (Quota::WebhookEndpoints, 4),
        ]);
        let over = exceeding(&smaller, &Overrides::new(), &usage);
        assert_eq!(
            over.iter().map(|e| e.quota).collect::<Vec<_>>(),
            vec![Quota::Users, Quota::WebhookEndpoints]
        );
        assert_eq!(over[0].describe(), "Users: 7 in use, the new limit is 5");
        let lifted = Overrides::from([(Quota::Users, None)]);
        assert_eq!(exceeding(&smaller, &lifted, &usage).len(), 1);
    }

    #[test]
    fn usage_is_near_from_eighty_percent_and_full_at_the_limit() {
        assert_eq!(UsageLevel::of(79, Some(100)), UsageLevel::Fine);
        assert_eq!(UsageLevel::of(80, Some(100)), UsageLevel::Near);
        assert_eq!(UsageLevel::of(100, Some(100)), UsageLevel::Full);
        assert_eq!(UsageLevel::of(0, Some(0)), UsageLevel::Full);
        assert_eq!(UsageLevel::of(10_000, None), UsageLevel::Fine);
        assert_eq!(percent_used(3, Some(4)), Some(75));
        assert_eq!(percent_used(3, None), None);
    }

    #[test]
    fn only_a_rise_to_near_or_full_is_announced() {
        use UsageLevel::*;
        assert!(Near.is_rise_from(Fine) && Full.is_rise_from(Fine) && Full.is_rise_from(Near));
        assert!(!Near.is_rise_from(Full) && !Fine.is_rise_from(Near) && !Near.is_rise_from(Near));
        for level in [Fine, Near, Full] {
            assert_eq!(UsageLevel::parse(level.as_str()), level);
        }
    }
}
