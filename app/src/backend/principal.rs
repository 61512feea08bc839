//! The acting identity every service takes first.

use uuid::Uuid;

use super::error::ServiceError;
use crate::domain::permission::{Grants, Permission};

#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub grants: Grants,
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.grants.allows(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.grants.allows(permission)
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
