//! Issue 7: the durable job engine, change requests with their step log and
//! approval decisions, each tenant's update policy (approval mode, maintenance
//! windows, blackouts), and staged rollouts with their targets. Also the
//! simulator executor's ledger, which counts what the executor was asked to do.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    /// One job per piece of work: enqueuing the same key again is a no-op.
    IdempotencyKey,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseOwner,
    LeaseUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    Id,
    TenantId,
    Kind,
    ChangeModel,
    Status,
    Title,
    ProductId,
    TargetVersion,
    RequestedBy,
    RequesterLabel,
    RequiresApproval,
    NotBefore,
    NextStartAt,
    ScheduleReason,
    DelayedDays,
    Progress,
    RolloutId,
    Outcome,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ChangeDecisions {
    Table,
    Id,
    ChangeRequestId,
    TenantId,
    Decision,
    DecidedBy,
    DeciderLabel,
    Comment,
    DecidedAt,
}

#[derive(DeriveIden)]
enum ChangeSteps {
    Table,
    Id,
    ChangeRequestId,
    TenantId,
    Position,
    Name,
    Status,
    IdempotencyKey,
    Attempts,
    Output,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum UpdatePolicies {
    Table,
    TenantId,
    ApprovalMode,
    Timezone,
    MaxDelayDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MaintenanceWindows {
    Table,
    Id,
    TenantId,
    /// 0 = Monday … 6 = Sunday, in the policy's time zone.
    Weekday,
    StartMinute,
    DurationMinutes,
}

#[derive(DeriveIden)]
enum Blackouts {
    Table,
    Id,
    /// NULL: organisation-wide.
    TenantId,
    StartsAt,
    EndsAt,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Rollouts {
    Table,
    Id,
    Name,
    /// `tenants` (each target a change request) or `endpoints` (agents install).
    Scope,
    ProductId,
    TargetVersion,
    Status,
    Selection,
    WaveSplits,
    SuccessThreshold,
    ErrorThreshold,
    OnError,
    Concurrency,
    StartAt,
    RequiresApproval,
    CurrentWave,
    HaltReason,
    CreatedBy,
    CreatorLabel,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum RolloutTargets {
    Table,
    Id,
    RolloutId,
    Wave,
    Position,
    TenantId,
    /// Set for endpoint rollouts.
    EndpointId,
    FromVersion,
    Status,
    Attempts,
    Message,
    ChangeRequestId,
    LastError,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ExecutorRuns {
    Table,
    IdempotencyKey,
    Executions,
    Deliveries,
    FirstRunAt,
}

/// Step results an HTTP orchestrator sent back by signed callback.
#[derive(DeriveIden)]
enum ExecutorResults {
    Table,
    IdempotencyKey,
    Status,
    Output,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(uuid(Jobs::Id).primary_key())
                    .col(string(Jobs::Kind))
                    .col(text(Jobs::Payload))
                    .col(string_uniq(Jobs::IdempotencyKey))
                    .col(string(Jobs::Status))
                    .col(integer(Jobs::Attempts))
                    .col(integer(Jobs::MaxAttempts))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(string_null(Jobs::LeaseOwner))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_due")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChangeRequests::Table)
                    .col(uuid(ChangeRequests::Id).primary_key())
                    .col(uuid(ChangeRequests::TenantId))
                    .col(string(ChangeRequests::Kind))
                    .col(string(ChangeRequests::ChangeModel))
                    .col(string(ChangeRequests::Status))
                    .col(text(ChangeRequests::Title))
                    .col(uuid_null(ChangeRequests::ProductId))
                    .col(string_null(ChangeRequests::TargetVersion))
                    .col(uuid_null(ChangeRequests::RequestedBy))
                    .col(string(ChangeRequests::RequesterLabel))
                    .col(boolean(ChangeRequests::RequiresApproval))
                    .col(timestamp_with_time_zone_null(ChangeRequests::NotBefore))
                    .col(timestamp_with_time_zone_null(ChangeRequests::NextStartAt))
                    .col(text(ChangeRequests::ScheduleReason))
                    .col(integer(ChangeRequests::DelayedDays))
                    .col(integer(ChangeRequests::Progress))
                    .col(uuid_null(ChangeRequests::RolloutId))
                    .col(text_null(ChangeRequests::Outcome))
                    .col(timestamp_with_time_zone(ChangeRequests::CreatedAt))
                    .col(timestamp_with_time_zone(ChangeRequests::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ChangeRequests::FinishedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "change_requests_tenant",
                vec![ChangeRequests::TenantId, ChangeRequests::CreatedAt],
            ),
            (
                "change_requests_status",
                vec![ChangeRequests::Status, ChangeRequests::NextStartAt],
            ),
            (
                "change_requests_rollout",
                vec![ChangeRequests::RolloutId, ChangeRequests::Status],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ChangeRequests::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ChangeDecisions::Table)
                    .col(uuid(ChangeDecisions::Id).primary_key())
                    .col(uuid(ChangeDecisions::ChangeRequestId))
                    .col(uuid(ChangeDecisions::TenantId))
                    .col(string(ChangeDecisions::Decision))
                    .col(uuid(ChangeDecisions::DecidedBy))
                    .col(string(ChangeDecisions::DeciderLabel))
                    .col(text(ChangeDecisions::Comment))
                    .col(timestamp_with_time_zone(ChangeDecisions::DecidedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChangeSteps::Table)
                    .col(uuid(ChangeSteps::Id).primary_key())
                    .col(uuid(ChangeSteps::ChangeRequestId))
                    .col(uuid(ChangeSteps::TenantId))
                    .col(integer(ChangeSteps::Position))
                    .col(string(ChangeSteps::Name))
                    .col(string(ChangeSteps::Status))
                    .col(string_uniq(ChangeSteps::IdempotencyKey))
                    .col(integer(ChangeSteps::Attempts))
                    .col(text(ChangeSteps::Output))
                    .col(timestamp_with_time_zone_null(ChangeSteps::StartedAt))
                    .col(timestamp_with_time_zone_null(ChangeSteps::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("change_steps_request")
                    .table(ChangeSteps::Table)
                    .col(ChangeSteps::ChangeRequestId)
                    .col(ChangeSteps::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UpdatePolicies::Table)
                    .col(uuid(UpdatePolicies::TenantId).primary_key())
                    .col(string(UpdatePolicies::ApprovalMode))
                    .col(string(UpdatePolicies::Timezone))
                    .col(integer(UpdatePolicies::MaxDelayDays))
                    .col(timestamp_with_time_zone(UpdatePolicies::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MaintenanceWindows::Table)
                    .col(uuid(MaintenanceWindows::Id).primary_key())
                    .col(uuid(MaintenanceWindows::TenantId))
                    .col(integer(MaintenanceWindows::Weekday))
                    .col(integer(MaintenanceWindows::StartMinute))
                    .col(integer(MaintenanceWindows::DurationMinutes))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Blackouts::Table)
                    .col(uuid(Blackouts::Id).primary_key())
                    .col(uuid_null(Blackouts::TenantId))
                    .col(timestamp_with_time_zone(Blackouts::StartsAt))
                    .col(timestamp_with_time_zone(Blackouts::EndsAt))
                    .col(text(Blackouts::Reason))
                    .col(string(Blackouts::CreatedBy))
                    .col(timestamp_with_time_zone(Blackouts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Rollouts::Table)
                    .col(uuid(Rollouts::Id).primary_key())
                    .col(string(Rollouts::Name))
                    .col(string(Rollouts::Scope))
                    .col(uuid(Rollouts::ProductId))
                    .col(string(Rollouts::TargetVersion))
                    .col(string(Rollouts::Status))
                    .col(text(Rollouts::Selection))
                    .col(string(Rollouts::WaveSplits))
                    .col(integer(Rollouts::SuccessThreshold))
                    .col(integer(Rollouts::ErrorThreshold))
                    .col(string(Rollouts::OnError))
                    .col(integer(Rollouts::Concurrency))
                    .col(timestamp_with_time_zone_null(Rollouts::StartAt))
                    .col(boolean(Rollouts::RequiresApproval))
                    .col(integer(Rollouts::CurrentWave))
                    .col(text_null(Rollouts::HaltReason))
                    .col(uuid_null(Rollouts::CreatedBy))
                    .col(string(Rollouts::CreatorLabel))
                    .col(timestamp_with_time_zone(Rollouts::CreatedAt))
                    .col(timestamp_with_time_zone(Rollouts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Rollouts::StartedAt))
                    .col(timestamp_with_time_zone_null(Rollouts::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutTargets::Table)
                    .col(uuid(RolloutTargets::Id).primary_key())
                    .col(uuid(RolloutTargets::RolloutId))
                    .col(integer(RolloutTargets::Wave))
                    .col(integer(RolloutTargets::Position))
                    .col(uuid(RolloutTargets::TenantId))
                    .col(uuid_null(RolloutTargets::EndpointId))
                    .col(string_null(RolloutTargets::FromVersion))
                    .col(string(RolloutTargets::Status))
                    .col(integer(RolloutTargets::Attempts))
                    .col(text_null(RolloutTargets::Message))
                    .col(uuid_null(RolloutTargets::ChangeRequestId))
                    .col(text_null(RolloutTargets::LastError))
                    .col(timestamp_with_time_zone_null(RolloutTargets::StartedAt))
                    .col(timestamp_with_time_zone_null(RolloutTargets::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rollout_targets_wave")
                    .table(RolloutTargets::Table)
                    .col(RolloutTargets::RolloutId)
                    .col(RolloutTargets::Wave)
                    .col(RolloutTargets::Status)
                    .col(RolloutTargets::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rollout_targets_tenant")
                    .table(RolloutTargets::Table)
                    .col(RolloutTargets::RolloutId)
                    .col(RolloutTargets::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rollout_targets_endpoint")
                    .table(RolloutTargets::Table)
                    .col(RolloutTargets::EndpointId)
                    .col(RolloutTargets::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExecutorRuns::Table)
                    .col(string(ExecutorRuns::IdempotencyKey).primary_key())
                    .col(integer(ExecutorRuns::Executions))
                    .col(integer(ExecutorRuns::Deliveries))
                    .col(timestamp_with_time_zone(ExecutorRuns::FirstRunAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExecutorResults::Table)
                    .col(string(ExecutorResults::IdempotencyKey).primary_key())
                    .col(string(ExecutorResults::Status))
                    .col(text(ExecutorResults::Output))
                    .col(timestamp_with_time_zone(ExecutorResults::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
