use sea_orm::entity::prelude::*;

use crate::backend::columns::JsonText;
use crate::domain::deployments::bluegreen::Slot;
use crate::domain::deployments::bluegreen::SwitchStatus;
use crate::domain::deployments::bluegreen::Thresholds;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deployment_switches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub tenant_id: Uuid,
    pub from_slot: Slot,
    pub to_slot: Slot,
    pub from_version: Option<String>,
    pub to_version: String,
    pub status: SwitchStatus,
    pub steps: crate::domain::deployments::bluegreen::TrafficSteps,
    pub step_index: i32,
    pub step_started_at: Option<DateTimeUtc>,
    pub bake_seconds: i32,
    pub interval_seconds: i32,
    pub thresholds: JsonText<Thresholds>,
    pub consecutive_failures: i32,
    pub generation: i32,
    pub reason: Option<String>,
    pub requested_by: Option<Uuid>,
    pub requester_label: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The change request this switch carries out (every switch has one,
    /// except those started before switches became changes).
    pub change_request_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
