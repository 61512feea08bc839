//! Where the vendor's word is final. A tenant's own admins run their tenant,
//! but they do not cancel what the vendor decided (a suspension, a forced
//! end-of-life upgrade), they do not freeze changes for as long as they
//! like, and they do not set the fields the vendor bills and places by.

use chrono::{DateTime, Duration, Utc};

use crate::domain::access::permission::Grants;

/// Someone acts for the vendor when they hold any platform-wide permission.
pub fn acts_for_vendor(grants: &Grants) -> bool {
    !grants.platform.is_empty()
}

/// Whether `actor` may cancel or reject a change. A change the vendor
/// requested (a vendor principal, or the system on the vendor's behalf:
/// version policy, rollouts) is stopped only by the vendor; the tenant may
/// approve it or delay it within its policy.
pub fn may_stop_change(requested_by_vendor: bool, actor_is_vendor: bool) -> Result<(), String> {
    if requested_by_vendor && !actor_is_vendor {
        Err("The vendor requested this change, so only the vendor can cancel or reject it \
             (update.approve platform-wide). You can approve it, or delay it within your update policy."
            .into())
    } else {
        Ok(())
    }
}

/// Tenant fields only the vendor sets: the plan (billing), the region
/// (placement and data residency), the vendor's labels (rollout targeting)
/// and how long a tenant may delay a change on its own (the update policy's
/// delay limit). The refusal names the permission it needs.
pub fn vendor_field_refusal(field: &str) -> Option<String> {
    let what = match field {
        "plan_code" => "plan",
        "region" => "region",
        "labels" => "labels",
        "max_delay_days" => "delay limit",
        "max_running_changes" => "limit on changes running at once",
        _ => return None,
    };
    Some(format!(
        "Only the vendor changes a tenant's {what} (tenant.manage platform-wide)."
    ))
}

/// How long a tenant's own blackout may last when the vendor sets no other limit.
pub const DEFAULT_MAX_BLACKOUT_DAYS: i64 = 30;

/// A tenant's blackout may not pause changes longer than the vendor allows;
/// the vendor's own (organisation-wide or set by a vendor principal) may.
pub fn check_blackout_length(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    max_days: i64,
    set_by_vendor: bool,
) -> Result<(), String> {
    if set_by_vendor || ends_at - starts_at <= Duration::days(max_days) {
        Ok(())
    } else {
        Err(format!(
            "A blackout may last at most {max_days} days; ask the vendor for a longer freeze."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::permission::Permission;
    use crate::domain::access::permission::Scope;

    #[test]
    fn only_platform_permissions_make_a_vendor() {
        let mut tenant_admin = Grants::default();
        tenant_admin.bind(&[Permission::UpdateApprove], Some(uuid::Uuid::nil()));
        assert!(!acts_for_vendor(&tenant_admin));
        let mut operator = Grants::default();
        operator.bind(&[Permission::TenantRead], None);
        assert!(acts_for_vendor(&operator));
        assert!(operator.allows(Permission::TenantRead, Scope::Platform));
    }

    #[test]
    fn a_tenant_cannot_stop_what_the_vendor_requested() {
        assert!(may_stop_change(true, false).is_err());
        assert!(may_stop_change(true, true).is_ok());
        assert!(may_stop_change(false, false).is_ok());
        assert!(
            may_stop_change(true, false)
                .unwrap_err()
                .contains("update.approve")
        );
    }

    #[test]
    fn plan_region_and_labels_are_the_vendors() {
        for field in ["plan_code", "region", "labels", "max_delay_days"] {
            assert!(
                vendor_field_refusal(field)
                    .unwrap()
                    .contains("tenant.manage platform-wide")
            );
        }
        for field in ["display_name", "contacts"] {
            assert_eq!(vendor_field_refusal(field), None);
        }
    }

    #[test]
    fn tenant_blackouts_are_bounded_and_the_vendors_are_not() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(check_blackout_length(start, start + Duration::days(30), 30, false).is_ok());
        let long = start + Duration::days(30) + Duration::seconds(1);
        assert!(
            check_blackout_length(start, long, 30, false)
                .unwrap_err()
                .contains("at most 30 days")
        );
        assert!(check_blackout_length(start, start + Duration::days(365), 30, true).is_ok());
    }
}
