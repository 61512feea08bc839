//! Permissions, the built-in roles and the one rule that decides access:
//! `Grants::allows(permission, scope)`. A role bound at platform scope applies
//! to every tenant; a role bound to one tenant applies to that tenant only.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::validation::FieldErrors;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    TenantRead,
    TenantLifecycle,
    TenantManage,
    UpdateApprove,
    UpdateExecute,
    ReportRead,
    SettingsManage,
    UserManage,
    PolicyManage,
    ReleaseManage,
    AuditRead,
    /// Set and lift legal holds: while one stands, retention deletes
    /// nothing of the tenant.
    LegalHold,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Self::TenantRead,
        Self::TenantLifecycle,
        Self::TenantManage,
        Self::UpdateApprove,
        Self::UpdateExecute,
        Self::ReportRead,
        Self::SettingsManage,
        Self::UserManage,
        Self::PolicyManage,
        Self::ReleaseManage,
        Self::AuditRead,
        Self::LegalHold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantRead => "tenant.read",
            Self::TenantLifecycle => "tenant.lifecycle",
            Self::TenantManage => "tenant.manage",
            Self::UpdateApprove => "update.approve",
            Self::UpdateExecute => "update.execute",
            Self::ReportRead => "report.read",
            Self::SettingsManage => "settings.manage",
            Self::UserManage => "user.manage",
            Self::PolicyManage => "policy.manage",
            Self::ReleaseManage => "release.manage",
            Self::AuditRead => "audit.read",
            Self::LegalHold => "legal.hold",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// What holding the permission lets someone do, in the role editor.
    pub fn description(self) -> &'static str {
        match self {
            Self::TenantRead => "See tenants, their configuration and history",
            Self::TenantLifecycle => "Provision, suspend, resume, back up, restore, decommission",
            Self::TenantManage => "Edit tenant records and configuration",
            Self::UpdateApprove => "Approve or reject change requests",
            Self::UpdateExecute => "Run approved changes and rollouts",
            Self::ReportRead => "Read dashboards and compliance reports",
            Self::SettingsManage => "Manage settings and API tokens",
            Self::UserManage => "Invite, disable and enable people",
            Self::PolicyManage => "Manage update and version policies",
            Self::ReleaseManage => "Manage the release catalog",
            Self::AuditRead => "Read the audit log",
            Self::LegalHold => "Set and lift legal holds on tenants' data",
        }
    }
}

/// A custom role as submitted: a name, where it is bound, and its permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRoleRequest {
    pub name: String,
    pub scope: RoleScope,
    pub permissions: Vec<Permission>,
}

impl CustomRoleRequest {
    pub fn parse(name: &str, scope: &str, permissions: &[&str]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = name.trim();
        match name.chars().count() {
            0 => errors.push("name", "Name the role, e.g. \"Release manager\"."),
            1 => errors.push("name", "Use at least 2 characters."),
            61.. => errors.push("name", "Use at most 60 characters."),
            _ => {}
        }
        if BuiltinRole::ALL
            .iter()
            .any(|b| b.name().eq_ignore_ascii_case(name))
        {
            errors.push("name", "A built-in role already has this name.");
        }
        let scope = match scope {
            "platform" => Some(RoleScope::Platform),
            "tenant" => Some(RoleScope::Tenant),
            _ => {
                errors.push(
                    "scope",
                    "Choose where the role applies: platform-wide or one tenant.",
                );
                None
            }
        };
        let mut parsed = vec![];
        for raw in permissions {
            match Permission::parse(raw) {
                Some(p) => parsed.push(p),
                None => errors.push("permissions", format!("'{raw}' is not a permission.")),
            }
        }
        parsed.sort();
        parsed.dedup();
        if parsed.is_empty() && errors.for_field("permissions").is_none() {
            errors.push("permissions", "Choose at least one permission.");
        }
        match scope {
            Some(scope) if errors.is_empty() => Ok(Self {
                name: name.to_owned(),
                scope,
                permissions: parsed,
            }),
            _ => Err(errors),
        }
    }
}

/// Where a role binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleScope {
    Platform,
    Tenant,
}

impl RoleScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Tenant => "tenant",
        }
    }
}

/// Roles that exist on every installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinRole {
    PlatformAdmin,
    PlatformOperator,
    PlatformViewer,
    TenantAdmin,
    TenantOperator,
    TenantViewer,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 6] = [
        Self::PlatformAdmin,
        Self::PlatformOperator,
        Self::PlatformViewer,
        Self::TenantAdmin,
        Self::TenantOperator,
        Self::TenantViewer,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::PlatformOperator => "platform_operator",
            Self::PlatformViewer => "platform_viewer",
            Self::TenantAdmin => "tenant_admin",
            Self::TenantOperator => "tenant_operator",
            Self::TenantViewer => "tenant_viewer",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.key() == key)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "Platform admin",
            Self::PlatformOperator => "Platform operator",
            Self::PlatformViewer => "Platform viewer",
            Self::TenantAdmin => "Tenant admin",
            Self::TenantOperator => "Tenant operator",
            Self::TenantViewer => "Tenant viewer",
        }
    }

    pub fn scope(self) -> RoleScope {
        match self {
            Self::PlatformAdmin | Self::PlatformOperator | Self::PlatformViewer => {
                RoleScope::Platform
            }
            Self::TenantAdmin | Self::TenantOperator | Self::TenantViewer => RoleScope::Tenant,
        }
    }

    /// A platform role is bound platform-wide (`tenant` = `None`); a tenant
    /// role to exactly one tenant.
    pub fn check_binding(self, tenant: Option<Uuid>) -> Result<(), String> {
        match (self.scope(), tenant) {
            (RoleScope::Platform, None) | (RoleScope::Tenant, Some(_)) => Ok(()),
            _ => Err(
                "Platform roles apply platform-wide; tenant roles need the tenant they apply to."
                    .to_owned(),
            ),
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission as P;
        match self {
            Self::PlatformAdmin => &Permission::ALL,
            // Vendor operations: run tenants and updates, not users, settings or policy.
            Self::PlatformOperator => &[
                P::TenantRead,
                P::TenantLifecycle,
                P::TenantManage,
                P::UpdateApprove,
                P::UpdateExecute,
                P::ReportRead,
                P::AuditRead,
            ],
            Self::PlatformViewer => &[P::TenantRead, P::ReportRead, P::AuditRead],
            // The customer's admin: their configuration, approvals, users and
            // tokens; the lifecycle (suspend, archive, …) stays with the vendor.
            Self::TenantAdmin => &[
                P::TenantRead,
                P::TenantManage,
                P::UpdateApprove,
                P::ReportRead,
                P::SettingsManage,
                P::UserManage,
                P::AuditRead,
            ],
            Self::TenantOperator => &[P::TenantRead, P::UpdateExecute, P::ReportRead],
            Self::TenantViewer => &[P::TenantRead, P::ReportRead],
        }
    }
}

/// What a tenant's own people keep while its access is restricted (a version
/// past end of life and grace under a `restrict_access` policy): they still
/// read, and they may approve the upgrade or ask for more grace — the ways
/// back into compliance. Configuration, users, tokens and running changes
/// wait until the tenant is compliant again.
pub const KEPT_WHEN_RESTRICTED: [Permission; 4] = [
    Permission::TenantRead,
    Permission::ReportRead,
    Permission::AuditRead,
    Permission::UpdateApprove,
];

/// What a permission is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Platform-wide things: settings, users of the vendor, releases, creating tenants.
    Platform,
    /// One tenant's resources.
    Tenant(Uuid),
}

/// The tenants on which a permission holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantScope {
    All,
    Only(Vec<Uuid>),
}

impl TenantScope {
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Only(ids) if ids.is_empty())
    }
}

/// Everything one principal may do: platform-wide permissions, and
/// permissions on individual tenants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub platform: Vec<Permission>,
    pub tenants: Vec<(Uuid, Vec<Permission>)>,
}

impl Grants {
    /// The access rule. Platform permissions hold everywhere; a tenant
    /// binding holds on its own tenant and nowhere else.
    pub fn allows(&self, permission: Permission, scope: Scope) -> bool {
        self.platform.contains(&permission)
            || match scope {
                Scope::Platform => false,
                Scope::Tenant(id) => self.tenants.iter().any(|(tenant, permissions)| {
                    *tenant == id && permissions.contains(&permission)
                }),
            }
    }

    /// Restricts this principal's binding on `tenant` (see `KEPT_WHEN_RESTRICTED`)
    /// and returns what it took away. Platform permissions are never restricted.
    pub fn restrict_on(&mut self, tenant: Uuid) -> Vec<Permission> {
        self.keep_only_on(tenant, &KEPT_WHEN_RESTRICTED)
    }

    /// Cuts this principal's binding on `tenant` down to `kept` and returns
    /// what it took away. Platform permissions are never cut.
    pub fn keep_only_on(&mut self, tenant: Uuid, kept: &[Permission]) -> Vec<Permission> {
        let mut withheld = vec![];
        for (_, permissions) in self.tenants.iter_mut().filter(|(id, _)| *id == tenant) {
            permissions.retain(|p| {
                let kept = kept.contains(p);
                if !kept && !withheld.contains(p) {
                    withheld.push(*p);
                }
                kept
            });
        }
        withheld
    }

    /// Whether the permission holds on at least one tenant (or platform-wide).
    pub fn allows_somewhere(&self, permission: Permission) -> bool {
        !self.tenant_scope(permission).is_empty()
    }

    /// The tenants on which `permission` holds: what lists and counts filter by.
    pub fn tenant_scope(&self, permission: Permission) -> TenantScope {
        if self.platform.contains(&permission) {
            return TenantScope::All;
        }
        let mut ids: Vec<Uuid> = self
            .tenants
            .iter()
            .filter(|(_, permissions)| permissions.contains(&permission))
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids.dedup();
        TenantScope::Only(ids)
    }

    /// Whether an account with role bindings at these scopes (`None`:
    /// platform-wide) shows up in this principal's user list: platform user
    /// managers see everyone, tenant admins those bound to their tenants.
    pub fn may_see_account(&self, bindings: &[Option<Uuid>]) -> bool {
        self.platform.contains(&Permission::UserManage)
            || bindings.iter().any(|binding| {
                matches!(binding, Some(t) if self.allows(Permission::UserManage, Scope::Tenant(*t)))
            })
    }

    /// Whether this principal may bind a role with these permissions at
    /// `tenant` (`None`: platform-wide): they must manage users there and
    /// hold every permission they hand out, so nobody grants more than they have.
    pub fn may_grant(&self, permissions: &[Permission], tenant: Option<Uuid>) -> bool {
        let scope = tenant.map_or(Scope::Platform, Scope::Tenant);
        self.allows(Permission::UserManage, scope)
            && permissions.iter().all(|p| self.allows(*p, scope))
    }

    /// Whether this principal may disable or enable such an account: only if
    /// every binding of it lies within their reach, so a tenant admin can
    /// never lock someone out of another tenant or out of the platform.
    pub fn may_manage_account(&self, bindings: &[Option<Uuid>]) -> bool {
        self.platform.contains(&Permission::UserManage)
            || (!bindings.is_empty()
                && bindings.iter().all(|binding| {
                    matches!(binding, Some(t) if self.allows(Permission::UserManage, Scope::Tenant(*t)))
                }))
    }

    /// Adds a role bound at `tenant` (`None`: platform-wide).
    pub fn bind(&mut self, permissions: &[Permission], tenant: Option<Uuid>) {
        match tenant {
            None => self.platform.extend_from_slice(permissions),
            Some(id) => match self.tenants.iter_mut().find(|(t, _)| *t == id) {
                Some((_, existing)) => existing.extend_from_slice(permissions),
                None => self.tenants.push((id, permissions.to_vec())),
            },
        }
        self.platform.sort();
        self.platform.dedup();
        for (_, permissions) in &mut self.tenants {
            permissions.sort();
            permissions.dedup();
        }
    }
}

#[cfg(test)]
mod account_tests {
    use super::*;

    #[test]
    fn nobody_grants_more_than_they_hold() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let admin = tenant_admin_of(a);
        assert!(admin.may_grant(BuiltinRole::TenantViewer.permissions(), Some(a)));
        assert!(admin.may_grant(BuiltinRole::TenantAdmin.permissions(), Some(a)));
        assert!(
            !admin.may_grant(&[Permission::TenantLifecycle], Some(a)),
            "tenant admins do not hold the lifecycle permission"
        );
        assert!(
            !admin.may_grant(&[Permission::TenantRead], Some(b)),
            "another tenant"
        );
        assert!(
            !admin.may_grant(&[Permission::TenantRead], None),
            "platform-wide"
        );
        let mut platform = Grants::default();
        platform.bind(BuiltinRole::PlatformAdmin.permissions(), None);
        assert!(platform.may_grant(&Permission::ALL, None));
        assert!(platform.may_grant(&Permission::ALL, Some(b)));
    }

    #[test]
    fn a_custom_role_needs_a_fresh_name_a_scope_and_real_permissions() {
        let role = CustomRoleRequest::parse(
            " Release manager ",
            "platform",
            &["release.manage", "tenant.read", "release.manage"],
        )
        .unwrap();
        assert_eq!(role.name, "Release manager");
        assert_eq!(
            role.permissions,
            [Permission::TenantRead, Permission::ReleaseManage]
        );
        let errors = CustomRoleRequest::parse("Tenant admin", "galaxy", &[]).unwrap_err();
        assert!(errors.for_field("name").is_some());
        assert!(errors.for_field("scope").is_some());
        assert_eq!(
            errors.for_field("permissions"),
            Some("Choose at least one permission.")
        );
        let errors = CustomRoleRequest::parse("Ops", "tenant", &["tenant.fly"]).unwrap_err();
        assert_eq!(
            errors.for_field("permissions"),
            Some("'tenant.fly' is not a permission.")
        );
    }

    fn tenant_admin_of(tenant: Uuid) -> Grants {
        let mut grants = Grants::default();
        grants.bind(BuiltinRole::TenantAdmin.permissions(), Some(tenant));
        grants
    }

    #[test]
    fn a_tenant_admin_sees_accounts_bound_to_their_tenant_only() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let admin = tenant_admin_of(a);
        assert!(admin.may_see_account(&[Some(a)]));
        assert!(admin.may_see_account(&[Some(a), Some(b)]));
        assert!(!admin.may_see_account(&[Some(b)]));
        assert!(!admin.may_see_account(&[None]));
        assert!(!admin.may_see_account(&[]));
    }

    #[test]
    fn a_tenant_admin_manages_only_accounts_wholly_within_their_tenants() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let admin = tenant_admin_of(a);
        assert!(admin.may_manage_account(&[Some(a)]));
        assert!(
            !admin.may_manage_account(&[Some(a), Some(b)]),
            "shared with another tenant"
        );
        assert!(
            !admin.may_manage_account(&[Some(a), None]),
            "also a platform user"
        );
        assert!(!admin.may_manage_account(&[]));
    }

    #[test]
    fn platform_user_managers_see_and_manage_everyone() {
        let mut grants = Grants::default();
        grants.bind(BuiltinRole::PlatformAdmin.permissions(), None);
        assert!(grants.may_manage_account(&[None]));
        assert!(grants.may_manage_account(&[Some(Uuid::from_u128(9))]));
        let mut viewer = Grants::default();
        viewer.bind(BuiltinRole::PlatformViewer.permissions(), None);
        assert!(!viewer.may_see_account(&[None]));
        assert!(!viewer.may_manage_account(&[Some(Uuid::from_u128(9))]));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_restricted_tenant_keeps_reading_and_the_ways_back_into_compliance() {
        let acme = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        let mut grants = Grants::default();
        grants.bind(BuiltinRole::TenantAdmin.permissions(), Some(acme));
        grants.bind(BuiltinRole::TenantAdmin.permissions(), Some(other));
        let withheld = grants.restrict_on(acme);
        assert_eq!(
            withheld,
            vec![
                Permission::TenantManage,
                Permission::SettingsManage,
                Permission::UserManage
            ]
        );
        for kept in KEPT_WHEN_RESTRICTED {
            assert_eq!(
                grants.allows(kept, Scope::Tenant(acme)),
                BuiltinRole::TenantAdmin.permissions().contains(&kept)
            );
        }
        assert!(!grants.allows(Permission::UserManage, Scope::Tenant(acme)));
        assert!(grants.allows(Permission::UserManage, Scope::Tenant(other)));
    }

    #[test]
    fn platform_permissions_are_never_restricted() {
        let acme = Uuid::from_u128(1);
        let mut grants = Grants::default();
        grants.bind(BuiltinRole::PlatformAdmin.permissions(), None);
        assert!(grants.restrict_on(acme).is_empty());
        assert!(grants.allows(Permission::TenantManage, Scope::Tenant(acme)));
    }

    use super::*;

    fn tenant_a() -> Uuid {
        Uuid::from_u128(0xA)
    }

    fn tenant_b() -> Uuid {
        Uuid::from_u128(0xB)
    }

    /// The role, bound the way it is meant to be: platform roles platform-wide,
    /// tenant roles on tenant A.
    fn granted(role: BuiltinRole) -> Grants {
        let mut grants = Grants::default();
        let at = match role.scope() {
            RoleScope::Platform => None,
            RoleScope::Tenant => Some(tenant_a()),
        };
        grants.bind(role.permissions(), at);
        grants
    }

    /// The matrix, written out: role → permissions it holds on its own scope.
    const MATRIX: [(BuiltinRole, &str); 6] = [
        (
            BuiltinRole::PlatformAdmin,
            "tenant.read tenant.lifecycle tenant.manage update.approve update.execute report.read settings.manage user.manage policy.manage release.manage audit.read legal.hold",
        ),
        (
            BuiltinRole::PlatformOperator,
            "tenant.read tenant.lifecycle tenant.manage update.approve update.execute report.read audit.read",
        ),
        (
            BuiltinRole::PlatformViewer,
            "tenant.read report.read audit.read",
        ),
        (
            BuiltinRole::TenantAdmin,
            "tenant.read tenant.manage update.approve report.read settings.manage user.manage audit.read",
        ),
        (
            BuiltinRole::TenantOperator,
            "tenant.read update.execute report.read",
        ),
        (BuiltinRole::TenantViewer, "tenant.read report.read"),
    ];

    #[test]
    fn every_role_permission_and_scope_is_decided_as_the_matrix_says() {
        for (role, holds) in MATRIX {
            let grants = granted(role);
            for permission in Permission::ALL {
                let on_own_scope = holds.split(' ').any(|p| p == permission.as_str());
                let platform_role = role.scope() == RoleScope::Platform;
                let cases = [
                    (Scope::Platform, on_own_scope && platform_role),
                    (Scope::Tenant(tenant_a()), on_own_scope),
                    (Scope::Tenant(tenant_b()), on_own_scope && platform_role),
                ];
                for (scope, expected) in cases {
                    assert_eq!(
                        grants.allows(permission, scope),
                        expected,
                        "{} {} on {scope:?}",
                        role.key(),
                        permission.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn the_matrix_covers_every_builtin_role() {
        for role in BuiltinRole::ALL {
            assert!(MATRIX.iter().any(|(r, _)| *r == role), "{}", role.key());
            let written: Vec<&str> = MATRIX
                .iter()
                .find(|(r, _)| *r == role)
                .map(|(_, p)| p.split(' ').collect())
                .unwrap_or_default();
            let mut held: Vec<&str> = role.permissions().iter().map(|p| p.as_str()).collect();
            let mut written_sorted = written.clone();
            held.sort();
            written_sorted.sort();
            assert_eq!(held, written_sorted, "{}", role.key());
        }
    }

    #[test]
    fn tenant_scope_lists_exactly_the_bound_tenants() {
        let mut grants = Grants::default();
        grants.bind(BuiltinRole::TenantViewer.permissions(), Some(tenant_b()));
        grants.bind(BuiltinRole::TenantAdmin.permissions(), Some(tenant_a()));
        assert_eq!(
            grants.tenant_scope(Permission::TenantRead),
            TenantScope::Only(vec![tenant_a(), tenant_b()])
        );
        assert_eq!(
            grants.tenant_scope(Permission::TenantManage),
            TenantScope::Only(vec![tenant_a()])
        );
        assert!(grants.tenant_scope(Permission::TenantLifecycle).is_empty());
        assert!(!grants.allows_somewhere(Permission::TenantLifecycle));
        assert_eq!(
            granted(BuiltinRole::PlatformViewer).tenant_scope(Permission::TenantRead),
            TenantScope::All
        );
    }

    #[test]
    fn no_bindings_means_no_permissions() {
        let grants = Grants::default();
        for permission in Permission::ALL {
            assert!(!grants.allows(permission, Scope::Platform));
            assert!(!grants.allows(permission, Scope::Tenant(tenant_a())));
            assert!(!grants.allows_somewhere(permission));
        }
    }

    #[test]
    fn a_role_binding_fits_its_scope() {
        assert!(BuiltinRole::PlatformAdmin.check_binding(None).is_ok());
        assert!(
            BuiltinRole::PlatformAdmin
                .check_binding(Some(tenant_a()))
                .is_err()
        );
        assert!(
            BuiltinRole::TenantViewer
                .check_binding(Some(tenant_a()))
                .is_ok()
        );
        assert!(BuiltinRole::TenantViewer.check_binding(None).is_err());
    }

    #[test]
    fn permission_names_round_trip() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
        }
    }
}
