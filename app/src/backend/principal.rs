//! The acting identity every service takes first, and its access checks (the
//! rule itself is `Grants::allows` in the domain).

use uuid::Uuid;

use crate::backend::error::ServiceError;
use crate::domain::access::permission::Grants;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::access::permission::TenantScope;

#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub grants: Grants,
    /// Tenants on which this principal's own binding is restricted by a
    /// version policy (see `KEPT_WHEN_RESTRICTED`).
    pub restrictions: Vec<AccessRestriction>,
}

/// A tenant binding cut back because the tenant runs a version past end of
/// life and grace under a `restrict_access` policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRestriction {
    pub tenant_id: Uuid,
    /// What the restriction took away from this principal there.
    pub withheld: Vec<Permission>,
    /// Why, in one sentence naming the product and version.
    pub reason: String,
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
        } else if let Some(restriction) = self
            .restrictions
            .iter()
            .find(|r| r.withheld.contains(&permission))
        {
            // Held, but withheld by a restriction: say why rather than "forbidden".
            Err(ServiceError::Refused(restriction.reason.clone()))
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
        } else if let Some(restriction) = self
            .restriction_on(tenant_id)
            .filter(|r| r.withheld.contains(&permission))
        {
            Err(ServiceError::Refused(restriction.reason.clone()))
        } else if self.grants.allows(Permission::TenantRead, scope) {
            Err(ServiceError::Forbidden)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// The restriction on this principal's access to `tenant_id`, if any.
    pub fn restriction_on(&self, tenant_id: Uuid) -> Option<&AccessRestriction> {
        self.restrictions.iter().find(|r| r.tenant_id == tenant_id)
    }

    /// Refuses `what` (e.g. "delay updates") while the tenant is restricted
    /// for this principal, with the restriction's reason.
    pub fn refuse_if_restricted(&self, tenant_id: Uuid, what: &str) -> Result<(), ServiceError> {
        match self.restriction_on(tenant_id) {
            Some(restriction) => Err(ServiceError::Refused(format!(
                "{} Until then you cannot {what}.",
                restriction.reason
            ))),
            None => Ok(()),
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
