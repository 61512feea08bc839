//! The contracts: every type that crosses the wire between the browser, the
//! REST API and the server, compiled for both targets. Services take and return
//! these (never `api` or `ui` types); `api` re-exports them for the pages.

pub mod access;
pub mod audit;
pub mod changes;
pub mod deployments;
pub mod events;
pub mod manifests;
pub mod notifications;
pub mod plans;
pub mod platform;
pub mod releases;
pub mod rollouts;
pub mod tenants;

/// A view and what the signed-in person may do with it. Services return the
/// view alone (it is also what the REST API answers); the page's server
/// function adds `may`, judged from the principal's grants, so no service
/// builds screen flags and no API answer carries them. Derefs to the view.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Allowed<V, M> {
    pub view: V,
    pub may: M,
}

impl<V, M> std::ops::Deref for Allowed<V, M> {
    type Target = V;

    fn deref(&self) -> &V {
        &self.view
    }
}
