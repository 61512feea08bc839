//! Permissions and the built-in roles. The foundation needs only the platform
//! admin; the full RBAC matrix (tenant scopes, custom roles) builds on this.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    TenantRead,
    TenantLifecycle,
    TenantManage,
    UserManage,
    AuditRead,
    ReportRead,
    SettingsManage,
}

impl Permission {
    pub const ALL: [Permission; 7] = [
        Self::TenantRead,
        Self::TenantLifecycle,
        Self::TenantManage,
        Self::UserManage,
        Self::AuditRead,
        Self::ReportRead,
        Self::SettingsManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantRead => "tenant.read",
            Self::TenantLifecycle => "tenant.lifecycle",
            Self::TenantManage => "tenant.manage",
            Self::UserManage => "user.manage",
            Self::AuditRead => "audit.read",
            Self::ReportRead => "report.read",
            Self::SettingsManage => "settings.manage",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

/// Roles that exist on every installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinRole {
    PlatformAdmin,
}

impl BuiltinRole {
    pub fn key(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "Platform admin",
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Self::PlatformAdmin => &Permission::ALL,
        }
    }
}

/// Who is acting and what they may do across the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grants {
    pub platform: Vec<Permission>,
}

impl Grants {
    pub fn allows(&self, permission: Permission) -> bool {
        self.platform.contains(&permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_round_trip() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
        }
    }

    #[test]
    fn platform_admin_holds_every_permission() {
        let grants = Grants {
            platform: BuiltinRole::PlatformAdmin.permissions().to_vec(),
        };
        assert!(Permission::ALL.iter().all(|p| grants.allows(*p)));
    }

    #[test]
    fn no_bindings_means_no_permissions() {
        let grants = Grants { platform: vec![] };
        assert!(!grants.allows(Permission::AuditRead));
    }
}
