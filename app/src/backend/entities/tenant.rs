use sea_orm::entity::prelude::*;

use std::collections::BTreeMap;

use crate::backend::columns::JsonText;
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::tenants::tenant::DeploymentKind;
use crate::domain::tenants::tenant::Environment;
use crate::domain::tenants::tenant::IsolationMode;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub display_name: String,
    pub lifecycle_state: LifecycleState,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub customer_id: Option<Uuid>,
    pub environment: Environment,
    pub deployment_kind: DeploymentKind,
    pub isolation_mode: IsolationMode,
    pub plan_code: String,
    pub region: String,
    /// JSON array of region codes.
    pub allowed_regions: JsonText<Vec<String>>,
    /// JSON object: role (technical, billing, incident) → email.
    pub contacts: JsonText<BTreeMap<String, String>>,
    /// JSON object: system (crm, billing) → id.
    pub external_ids: JsonText<BTreeMap<String, String>>,
    /// JSON array of labels.
    pub labels: JsonText<Vec<String>>,
    /// Where a transition in progress will land; `None` when at rest.
    pub requested_state: Option<LifecycleState>,
    /// Optimistic-concurrency stamp, incremented by every update.
    pub version: i64,
    pub archived_at: Option<DateTimeUtc>,
    /// Why the tenant is in its state, when the portal put it there (broken).
    pub state_reason: Option<String>,
    /// Lower-cased slug, name, customer and external ids: what free text matches.
    pub search_text: String,
    /// Where the tenant answers; its products' health baselines are probed there.
    pub base_url: Option<String>,
    /// Failing health runs in a row (0 after a pass).
    pub health_failures: i32,
    /// When the periodic validation probes it next; claimed by compare-and-set.
    pub health_next_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
