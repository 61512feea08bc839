//! The acting identity every service takes first, and its access checks (the
//! rule itself is `Grants::allows` in the domain).

use uuid::Uuid;

use super::error::ServiceError;
use crate::domain::permission::{Grants, Permission, Scope, TenantScope};

#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub grants: Grants,
}

impl Principal {
    /// A platform-wide permission (settings, vendor users, onboarding tenants).
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.grants.allows(permission, Scope::Platform) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// The permission on at least one tenant: enough to open a list that is
    /// then filtered by `tenant_scope`.
    pub fn require_somewhere(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.grants.allows_somewhere(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// The permission on one tenant. A tenant the principal may not even read
    /// is reported as not found, so its existence does not leak.
    pub fn require_on_tenant(
        &self,
        permission: Permission,
        tenant_id: Uuid,
    ) -> Result<(), ServiceError> {
        let scope = Scope::Tenant(tenant_id);
        if self.grants.allows(permission, scope) {
            Ok(())
        } else if self.grants.allows(Permission::TenantRead, scope) {
            Err(ServiceError::Forbidden)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    pub fn can(&self, permission: Permission, scope: Scope) -> bool {
        self.grants.allows(permission, scope)
    }

    /// The tenants on which `permission` holds.
    pub fn tenant_scope(&self, permission: Permission) -> TenantScope {
        self.grants.tenant_scope(permission)
    }
}

/// Who an audit record names: a signed-in user, the system itself (start-up,
/// CLI, jobs) or an unauthenticated caller (a failed login).
#[derive(Clone, Debug)]
pub enum Actor {
    User { id: Uuid, label: String },
    System(&'static str),
    Anonymous(String),
}

impl From<&Principal> for Actor {
    fn from(principal: &Principal) -> Self {
        Actor::User {
            id: principal.user_id,
            label: principal.email.clone(),
        }
    }
}

impl Actor {
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Actor::User { label, .. } => label.clone(),
            Actor::System(what) => format!("system:{what}"),
            Actor::Anonymous(label) => label.clone(),
        }
    }
}
