use sea_orm::entity::prelude::*;

use crate::backend::columns::JsonText;
use crate::domain::deployments::bluegreen::Slot;
use crate::domain::deployments::bluegreen::Thresholds;
use crate::model::deployments::Simulation;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "edge_deployments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub product_id: Uuid,
    pub live_slot: Slot,
    pub blue_version: Option<String>,
    pub green_version: Option<String>,
    pub blue_state: crate::domain::deployments::bluegreen::SlotState,
    pub green_state: crate::domain::deployments::bluegreen::SlotState,
    pub blue_health: crate::domain::deployments::bluegreen::SlotHealth,
    pub green_health: crate::domain::deployments::bluegreen::SlotHealth,
    pub blue_weight: i32,
    pub green_weight: i32,
    pub router_kind: crate::domain::deployments::bluegreen::RouterKind,
    pub router_address: String,
    pub router_backend: String,
    pub blue_server: String,
    pub green_server: String,
    pub blue_url: String,
    pub green_url: String,
    pub steps: crate::domain::deployments::bluegreen::TrafficSteps,
    pub bake_seconds: i32,
    pub interval_seconds: i32,
    pub thresholds: JsonText<Thresholds>,
    pub simulation: JsonText<Simulation>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
