//! `tenantry` — serve the portal (default), migrate the database, or create an admin.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use app::backend::audit::RequestContext;
use app::backend::context::Ctx;
use app::backend::principal::Actor;
use app::backend::services::access::users::NewUser;
use app::backend::services::access::users::create_user;
use app::backend::services::access::users::ensure_builtin_roles;
use app::backend::services::access::users::generate_password;
use app::domain::access::permission::BuiltinRole;
use server::client::{ApiClient, CreateArgs, ListFilters, render_list, render_tenant};
use server::config::Config;
use server::startup;

#[derive(Parser)]
#[command(
    name = "tenantry",
    version,
    about = "Tenantry — the tenant control plane"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the portal (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Serve the portal with a blue-green demo: Debian's HAProxy in front of two local backends (blue v1, green v2), steady traffic, and a deployment wired to them.
    DemoBluegreen,
    /// Create a platform admin. The password comes from TENANTRY_ADMIN_PASSWORD, or is generated and printed once.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Platform Admin")]
        name: String,
    },
    /// Fill the database with tenants (through the services, audited as the first platform admin).
    Seed {
        /// A realistic demo set: ten customers, sixty tenants across states, regions and plans.
        #[arg(long, conflicts_with = "tenants")]
        demo: bool,
        /// This many generated tenants (for scale tests).
        #[arg(long)]
        tenants: Option<usize>,
        /// Also give every tenant this many endpoints with installed versions.
        #[arg(long, default_value_t = 0)]
        endpoints_per_tenant: usize,
    },
    /// Assess every tenant's compliance now and print how long it took.
    Assess,
    /// Run every due tenant health baseline once (TENANTRY_HEALTH_*) and
    /// print runs/s and peak memory. `--set-address` first gives every tenant
    /// without an address that one (through the service, audited): for benchmarks.
    ValidateHealth {
        #[arg(long)]
        set_address: Option<String>,
    },
    /// Seal every stored secret under a new key. With the key file, a new
    /// key is generated and the old one kept until everything is re-sealed;
    /// with TENANTRY_SECRET_KEY, set the new key there and the old one in
    /// TENANTRY_SECRET_KEY_PREVIOUS, then run this.
    RotateSecretKey,
    /// Work with tenants through the REST API (needs an API token).
    Tenants {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Staged rollouts through the REST API (needs an API token).
    Rollout {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        command: RolloutCommand,
    },
    /// The event stream through the REST API (needs an API token).
    Events {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        command: EventCommand,
    },
    /// Webhook endpoints through the REST API (needs an API token).
    Webhooks {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Back up a tenant through the REST API: asks for a backup (a change in
    /// its next window); `--list` shows its backups, `--verify ID` re-hashes
    /// one, `--restore-test ID` (or `latest`) restores one into a scratch
    /// target and checks it there.
    Backup {
        #[command(flatten)]
        api: ApiArgs,
        /// The tenant's slug or id.
        tenant: String,
        #[arg(long, conflicts_with_all = ["verify", "restore_test"])]
        list: bool,
        #[arg(long, conflicts_with = "restore_test")]
        verify: Option<String>,
        #[arg(long, value_name = "BACKUP")]
        restore_test: Option<String>,
    },
    /// Restore a tenant from one of its backups through the REST API (the
    /// checksum is checked first; the tenant must be in maintenance).
    Restore {
        #[command(flatten)]
        api: ApiArgs,
        /// The tenant's slug.
        tenant: String,
        /// The backup's id (`tenantry backup TENANT --list`).
        #[arg(long = "from")]
        from: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Export a tenant's data through the REST API: a zip of JSON and CSV
    /// with `manifest.json` listing every file's SHA-256 (`--offboarding`:
    /// the export written when its offboarding began).
    Export {
        #[command(flatten)]
        api: ApiArgs,
        /// The tenant's slug or id.
        tenant: String,
        /// Where to write the zip (default: <tenant>-export.zip).
        #[arg(short = 'o', long)]
        output: Option<std::path::PathBuf>,
        #[arg(long)]
        offboarding: bool,
    },
    /// Offboard a tenant through the REST API: notice to its contacts, data
    /// export, access revoked, clean-up by the executor, archived for the
    /// retention period, then deleted with a certificate unless held.
    Offboard {
        #[command(flatten)]
        api: ApiArgs,
        /// The tenant's slug (it is the confirmation).
        tenant: String,
        #[arg(long)]
        reason: String,
        /// Days to keep the archived tenant before deletion (default 90).
        #[arg(long)]
        retention_days: Option<u32>,
    },
    /// Move a tenant to another region (one of its allowed regions) or
    /// isolation mode through the REST API, or list its migrations
    /// (`--list`): back up, prepare the target, migrate the data, validate,
    /// cut over, clean up the source — as a change, resumable step by step.
    Move {
        #[command(flatten)]
        api: ApiArgs,
        /// The tenant's slug (it is the confirmation).
        tenant: String,
        #[arg(long, default_value = "")]
        region: String,
        /// `shared`, `dedicated` or `isolated`.
        #[arg(long, default_value = "")]
        isolation: String,
        #[arg(long, default_value = "")]
        reason: String,
        /// Only show the tenant's placement and migrations.
        #[arg(long)]
        list: bool,
    },
    /// Print a tenant's manifest through the REST API:
    /// `tenantry get tenant acme-prod -o yaml` (or `-o json`).
    Get {
        #[command(flatten)]
        api: ApiArgs,
        /// What to get (`tenant`).
        #[arg(value_parser = ["tenant"])]
        what: String,
        /// The tenant's slug or id.
        tenant: String,
        #[arg(short = 'o', long = "output", default_value = "yaml", value_parser = ["yaml", "json"])]
        output: String,
    },
    /// Plan manifests (files or folders of .yaml/.yml/.json) through the REST
    /// API: per tenant the field-level diff and the ordered actions with the
    /// policy's verdict on each. Nothing is written. Exits 0 when nothing
    /// would change, 2 when something would, 1 on an error.
    Diff {
        #[command(flatten)]
        api: ApiArgs,
        /// A manifest file or a folder of them; repeat for more.
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Print the JSON Schema of a tenant manifest (the repository keeps it
    /// in docs/schemas/tenant-manifest.json).
    ManifestSchema,
    /// Benchmark backups: one active tenant topped up to 1,000 endpoints and
    /// 500 config keys is backed up and verified (bytes, seconds, MB/s),
    /// then every tenant gets a daily schedule and one sweep asks for the
    /// due backups (time to enqueue). Writes to the database: for `make bench`.
    #[command(hide = true)]
    BenchBackups,
    /// Benchmark manifests: every tenant exported, then planned back as YAML
    /// (nothing to do) and with a changed label each (an action per tenant);
    /// seconds and peak RSS. Reads only: for `make bench`.
    #[command(hide = true)]
    BenchManifests,
    /// Create an API token acting as an existing user (for bootstrapping the CLI and CI).
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
}

/// How the API commands reach the portal.
#[derive(clap::Args)]
struct ApiArgs {
    /// The portal's address.
    #[arg(
        long,
        env = "TENANTRY_URL",
        default_value = "http://127.0.0.1:3000",
        global = true
    )]
    url: String,
    /// An API token (Settings → API tokens, or `tenantry api-token create`).
    #[arg(long, env = "TENANTRY_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

impl ApiArgs {
    /// A client of the portal's API; an error saying how to get a token when
    /// none was given.
    fn client(&self) -> startup::anyhow_like::Result<ApiClient> {
        let token = self.token.as_deref().ok_or_else(|| {
            startup::anyhow_like::Error("an API token is needed: pass --token or set TENANTRY_TOKEN (create one in Settings → API tokens)".into())
        })?;
        Ok(ApiClient::new(&self.url, token))
    }
}

#[derive(Subcommand)]
enum TenantCommand {
    /// List and search tenants.
    List(ListFilters),
    /// Show one tenant by id or slug.
    Show { id: String },
    /// Onboard a tenant.
    Create(Box<CreateArgs>),
    /// Run a lifecycle action, e.g. `suspend`.
    Transition { id: String, action: String },
    /// Show a tenant's health baseline runs; `--run` runs it first.
    Health {
        id: String,
        #[arg(long)]
        run: bool,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// The endpoints you may see, with pending and dead deliveries.
    List,
    /// Subscribe a URL; prints the signing secret once.
    Create {
        #[arg(long = "target")]
        target: String,
        /// A tenant (slug or id) whose events it hears; absent: every tenant's.
        #[arg(long)]
        tenant: Option<String>,
        /// Event types or groups, e.g. `change.*,tenant.created`; absent: all.
        #[arg(long = "type")]
        event_type: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// An endpoint and its latest delivery attempts.
    Show { id: String },
    /// Send the endpoint a test event.
    Test { id: String },
    /// Send the dead letters again (`--since` an RFC 3339 time: only those
    /// that died since), or with `--from-sequence N` every event the endpoint
    /// may hear from global sequence N on.
    Replay {
        id: String,
        #[arg(long, conflicts_with = "from_sequence")]
        since: Option<String>,
        #[arg(long)]
        from_sequence: Option<i64>,
    },
    /// A new signing secret (the old one signs too for 24 hours).
    RotateSecret { id: String },
}

#[derive(Subcommand)]
enum EventCommand {
    /// Print events after a sequence number, oldest first; `--follow` keeps
    /// asking for new ones (a consumer catching up, then listening).
    Tail {
        /// The last sequence number already seen (0: from the start).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Event types or groups, e.g. `change.*,tenant.created`.
        #[arg(long = "type")]
        event_type: Option<String>,
        /// One tenant (id or slug).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Subcommand)]
enum RolloutCommand {
    /// Plan a rollout of a release to matching tenants, in waves.
    Create {
        #[arg(long)]
        name: String,
        /// Product key, e.g. edge-gateway.
        #[arg(long)]
        product: String,
        #[arg(long)]
        version: String,
        /// Cumulative wave percentages, e.g. "1,10,50" (the rest follows).
        #[arg(long, default_value = "")]
        waves: String,
        /// Explicit tenant slugs, comma-separated (otherwise the filters below).
        #[arg(long, default_value = "")]
        tenants: String,
        #[arg(long, default_value = "")]
        plan: String,
        #[arg(long, default_value = "")]
        region: String,
        #[arg(long, default_value = "")]
        label: String,
        #[arg(long, default_value = "")]
        success_threshold: String,
        #[arg(long, default_value = "")]
        error_threshold: String,
        #[arg(long, default_value = "")]
        concurrency: String,
        /// Ask for another person's approval before it starts.
        #[arg(long)]
        requires_approval: bool,
    },
    /// Show a rollout's waves and progress.
    Status {
        id: String,
    },
    Pause {
        id: String,
    },
    Resume {
        id: String,
    },
    Abort {
        id: String,
    },
}

#[derive(Subcommand)]
enum ApiTokenCommand {
    /// Print a new token (shown once) for the user with this email.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Leave out for a token that does not expire.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("tenantry: {err}");
            return ExitCode::from(2);
        }
    };
    let telemetry = server::telemetry::init(config.log_json);
    // `diff` says "something would change" with exit code 2.
    let mut changes_planned = false;
    let result = match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => startup::serve(config).await,
        Command::DemoBluegreen => server::demo::demo_bluegreen(config).await,
        Command::Migrate => startup::open_database(&config)
            .await
            .map(|_| println!("Database is up to date.")),
        Command::CreateAdmin { email, name } => create_admin(&config, &email, &name).await,
        Command::Seed {
            demo,
            tenants,
            endpoints_per_tenant,
        } => seed(&config, demo, tenants, endpoints_per_tenant).await,
        Command::Assess => assess(&config).await,
        Command::BenchBackups => bench_backups(&config).await,
        Command::BenchManifests => bench_manifests(&config).await,
        Command::ValidateHealth { set_address } => validate_health(&config, set_address).await,
        Command::RotateSecretKey => rotate_secret_key(&config).await,
        Command::Tenants { api, command } => tenants_command(&api, command).await,
        Command::Backup {
            api,
            tenant,
            list,
            verify,
            restore_test,
        } => {
            backup_command(
                &api,
                &tenant,
                list,
                verify.as_deref(),
                restore_test.as_deref(),
            )
            .await
        }
        Command::Restore {
            api,
            tenant,
            from,
            note,
        } => restore_command(&api, &tenant, &from, &note).await,
        Command::Export {
            api,
            tenant,
            output,
            offboarding,
        } => export_command(&api, &tenant, output, offboarding).await,
        Command::Offboard {
            api,
            tenant,
            reason,
            retention_days,
        } => offboard_command(&api, &tenant, &reason, retention_days).await,
        Command::Move {
            api,
            tenant,
            region,
            isolation,
            reason,
            list,
        } => migrate_command(&api, &tenant, region, isolation, reason, list).await,
        Command::Get {
            api,
            what: _,
            tenant,
            output,
        } => get_tenant_command(&api, &tenant, &output).await,
        Command::Diff { api, files } => diff_command(&api, &files)
            .await
            .map(|changed| changes_planned = changed),
        Command::ManifestSchema => {
            println!(
                "{}",
                pretty_json(&app::domain::manifests::manifest::schema())
            );
            Ok(())
        }
        Command::Rollout { api, command } => rollout_command(&api, command).await,
        Command::Events { api, command } => events_command(&api, command).await,
        Command::Webhooks { api, command } => webhooks_command(&api, command).await,
        Command::ApiToken {
            command:
                ApiTokenCommand::Create {
                    email,
                    name,
                    expires_in_days,
                },
        } => create_api_token(&config, &email, &name, expires_in_days).await,
    };
    telemetry.shutdown().await;
    match result {
        Ok(()) if changes_planned => ExitCode::from(2),
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tenantry: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn rotate_secret_key(config: &Config) -> startup::anyhow_like::Result<()> {
    use app::backend::crypto::{Keyring, SecretKey, configure, keyring};
    use app::backend::services::platform::secrets_at_rest::seal_all;
    use server::config::SecretKeySource;
    use startup::anyhow_like::Error;
    // Opening the database loads the keyring and checks every stored secret opens.
    let db = startup::open_database(config).await?;
    let old = keyring().current_key().clone();
    match &config.secret_keys {
        SecretKeySource::File(path) => {
            // The new key first, the old one kept until every value is re-sealed.
            let new = SecretKey::generate();
            startup::write_key_file(path, &[new.clone(), old.clone()])?;
            configure(Keyring::new(new.clone(), vec![old.clone()]));
            let report = seal_all(&db).await.map_err(|e| Error(e.to_string()))?;
            startup::write_key_file(path, std::slice::from_ref(&new))?;
            println!(
                "Re-sealed {} stored secrets under key {} (was {}); {} now holds only the new key.",
                report.resealed,
                new.id(),
                old.id(),
                path.display()
            );
        }
        SecretKeySource::Environment { .. } => {
            let report = seal_all(&db).await.map_err(|e| Error(e.to_string()))?;
            println!(
                "Re-sealed {} stored secrets under key {} ({} were already under it); TENANTRY_SECRET_KEY_PREVIOUS may now be removed.",
                report.resealed,
                old.id(),
                report.current
            );
        }
    }
    Ok(())
}

async fn create_admin(
    config: &Config,
    email: &str,
    name: &str,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let db = startup::open_database(config).await?;
    ensure_builtin_roles(&db, chrono::Utc::now())
        .await
        .map_err(|e| Error(e.to_string()))?;
    let generated = config.admin_password.is_none().then(generate_password);
    let password = config
        .admin_password
        .clone()
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let new_user =
        NewUser::parse(email, name, &password, BuiltinRole::PlatformAdmin).map_err(|errors| {
            Error(
                errors
                    .0
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    create_user(
        &db,
        &Actor::System("cli"),
        &RequestContext::default(),
        new_user,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| match e {
        app::backend::error::ServiceError::Validation(errors) => Error(
            errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => Error(other.to_string()),
    })?;
    println!("Created platform admin {}", email.trim().to_lowercase());
    if let Some(password) = generated {
        println!("Password (shown once): {password}");
    }
    Ok(())
}

async fn assess(config: &Config) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let db = startup::open_database(config).await?;
    let started = std::time::Instant::now();
    let report = app::backend::services::releases::compliance::assess(
        &db,
        app::backend::services::releases::compliance::Reach::All,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| Error(e.to_string()))?;
    println!(
        "Assessed {} tenant products of {} tenants and {} endpoint version groups in {} ms.",
        report.tenant_products,
        report.tenants,
        report.endpoint_groups,
        started.elapsed().as_millis()
    );
    Ok(())
}

fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(|| "?".to_owned(), |kb| (kb / 1024).to_string())
}

/// The database and a context acting as the first platform admin (the
/// benchmarks' set-up).
async fn as_platform_admin(
    config: &Config,
) -> startup::anyhow_like::Result<(sea_orm::DatabaseConnection, Ctx)> {
    let db = startup::open_database(config).await?;
    let admin = app::backend::services::platform::seed::platform_admin(&db)
        .await
        .map_err(|e| startup::anyhow_like::Error(e.to_string()))?;
    let ctx = Ctx::of(&db, &admin, &Default::default());
    Ok((db, ctx))
}

async fn bench_manifests(config: &Config) -> startup::anyhow_like::Result<()> {
    use app::backend::entities::tenant;
    use app::backend::services::manifests;
    use app::domain::manifests::manifest::to_yaml;
    use app::model::manifests::ManifestDocument;
    use sea_orm::EntityTrait;
    use startup::anyhow_like::Error;
    let fail = |e: app::backend::error::ServiceError| Error(e.to_string());
    let (db, ctx) = as_platform_admin(config).await?;
    let tenants = tenant::Entity::find()
        .all(&db)
        .await
        .map_err(|e| Error(e.to_string()))?;
    let started = std::time::Instant::now();
    let exported = manifests::export_many(&db, &tenants, chrono::Utc::now())
        .await
        .map_err(fail)?;
    let export_took = started.elapsed();
    let as_documents = |edit: bool| -> Vec<ManifestDocument> {
        exported
            .iter()
            .map(|m| {
                let mut m = m.clone();
                if edit {
                    m.metadata.labels.push("bench-planned".into());
                }
                ManifestDocument {
                    source: format!("{}.yaml", m.metadata.slug),
                    content: to_yaml(&m),
                }
            })
            .collect()
    };
    let mut lines = vec![format!(
        "manifest export of {} tenants: {:.2} s",
        exported.len(),
        export_took.as_secs_f64()
    )];
    for (edit, what) in [(false, "unchanged"), (true, "a label changed on each")] {
        let documents = as_documents(edit);
        let started = std::time::Instant::now();
        let plan = manifests::plan(&ctx, &documents).await.map_err(fail)?;
        lines.push(format!(
            "plan of {} manifests ({what}): {:.2} s — {} to change, {} unchanged",
            documents.len(),
            started.elapsed().as_secs_f64(),
            plan.changed,
            plan.unchanged
        ));
    }
    for line in lines {
        println!("{line}");
    }
    println!("peak RSS {} MiB", peak_rss_mib());
    Ok(())
}

async fn bench_backups(config: &Config) -> startup::anyhow_like::Result<()> {
    use app::backend::crypto::Purpose;
    use app::backend::entities::{backup_policy, endpoint, tenant, tenant_setting};
    use app::backend::services::platform::secrets_at_rest::seal;
    use app::backend::services::tenants::backups;
    use app::domain::tenants::lifecycle::LifecycleState;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
    use startup::anyhow_like::Error;
    const ENDPOINTS: u64 = 1_000;
    const CONFIG_KEYS: u64 = 500;
    let fail = |e: app::backend::error::ServiceError| Error(e.to_string());
    let (db, ctx) = as_platform_admin(config).await?;
    let subject = tenant::Entity::find()
        .filter(tenant::Column::LifecycleState.eq(LifecycleState::Active.as_str()))
        .one(&db)
        .await
        .map_err(|e| Error(e.to_string()))?
        .ok_or_else(|| Error("no active tenant to back up: seed first".into()))?;
    // Top the tenant up (direct inserts: this is the bench's set-up, not the product's).
    let now = chrono::Utc::now();
    let have = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(subject.id))
        .count(&db)
        .await
        .map_err(|e| Error(e.to_string()))?;
    let missing: Vec<endpoint::ActiveModel> = (have..ENDPOINTS)
        .map(|i| endpoint::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            tenant_id: Set(subject.id),
            hostname: Set(format!("bench-host-{i:04}.{}.example", subject.slug)),
            platform: Set("linux-x86_64".into()),
            agent_version: Set("1.0.0".into()),
            token_hash: Set(format!("{:064x}", i)),
            registered_at: Set(now),
            last_seen_at: Set(now),
        })
        .collect();
    for chunk in missing.chunks(200) {
        endpoint::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .map_err(|e| Error(e.to_string()))?;
    }
    let keys = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(subject.id))
        .count(&db)
        .await
        .map_err(|e| Error(e.to_string()))?;
    let settings: Vec<tenant_setting::ActiveModel> = (keys..CONFIG_KEYS)
        .map(|i| {
            let secret = i % 10 == 0;
            let value = format!("value-{i}-{}", "x".repeat(40));
            tenant_setting::ActiveModel {
                id: Set(uuid::Uuid::new_v4()),
                tenant_id: Set(subject.id),
                key: Set(format!("bench.key{i:03}")),
                value: Set(if secret {
                    seal(Purpose::TenantSecret, &value)
                } else {
                    value
                }),
                is_secret: Set(secret),
                updated_at: Set(now),
                updated_by: Set("bench".into()),
            }
        })
        .collect();
    for chunk in settings.chunks(200) {
        tenant_setting::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .map_err(|e| Error(e.to_string()))?;
    }
    // One backup, written and verified.
    let change = backups::request_backup(&ctx, &subject.slug, &Default::default())
        .await
        .map_err(fail)?;
    let started = std::time::Instant::now();
    backups::capture(&db, now, &change, &subject, "snapshot: bench://data/1")
        .await
        .map_err(fail)?;
    let written = started.elapsed();
    let view = backups::view(&ctx, &subject.slug).await.map_err(fail)?;
    let taken = view
        .backups
        .iter()
        .find(|b| b.change_request_id == change.id)
        .ok_or_else(|| Error("the backup was not recorded".into()))?;
    let started = std::time::Instant::now();
    let verified = backups::verify(&ctx, &subject.slug, &taken.id.to_string())
        .await
        .map_err(fail)?;
    let checked = started.elapsed();
    let mb = taken.size_bytes as f64 / 1_048_576.0;
    println!(
        "backup of {ENDPOINTS} endpoints and {CONFIG_KEYS} config keys: {:.2} MB written in {:.3} s ({:.1} MB/s); verify ({}) in {:.3} s ({:.1} MB/s).",
        mb,
        written.as_secs_f64(),
        mb / written.as_secs_f64(),
        verified.verify_status,
        checked.as_secs_f64(),
        mb / checked.as_secs_f64()
    );
    // Every tenant on a daily schedule; one sweep asks for what is due.
    let tenants: Vec<uuid::Uuid> = tenant::Entity::find()
        .all(&db)
        .await
        .map_err(|e| Error(e.to_string()))?
        .into_iter()
        .map(|t| t.id)
        .collect();
    backup_policy::Entity::delete_many()
        .exec(&db)
        .await
        .map_err(|e| Error(e.to_string()))?;
    let policies: Vec<backup_policy::ActiveModel> = tenants
        .iter()
        .map(|id| backup_policy::ActiveModel {
            tenant_id: Set(*id),
            keep_daily: Set(7),
            keep_weekly: Set(4),
            keep_monthly: Set(12),
            restore_test_days: Set(30),
            updated_at: Set(now),
            updated_by: Set("bench".into()),
        })
        .collect();
    for chunk in policies.chunks(500) {
        backup_policy::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .map_err(|e| Error(e.to_string()))?;
    }
    let started = std::time::Instant::now();
    let asked = backups::schedule_due(&db, chrono::Utc::now() + chrono::Duration::days(1))
        .await
        .map_err(fail)?;
    println!(
        "scheduled-backup sweep over {} tenants: {asked} backup changes asked for in {:.2} s.",
        tenants.len(),
        started.elapsed().as_secs_f64()
    );
    // Every tenant asks for a restore test every 30 days; only tenants with
    // a verified backup get one.
    let started = std::time::Instant::now();
    let drills = app::backend::services::tenants::restore_tests::schedule_due(
        &db,
        chrono::Utc::now() + chrono::Duration::days(1),
    )
    .await
    .map_err(fail)?;
    println!(
        "restore-test sweep over {} tenants: {drills} restore tests asked for in {:.2} s.",
        tenants.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn validate_health(
    config: &Config,
    set_address: Option<String>,
) -> startup::anyhow_like::Result<()> {
    use app::backend::entities::tenant;
    use app::backend::services::tenants::health;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    use startup::anyhow_like::Error;
    app::backend::outbound::configure(config.network.clone());
    let db = startup::open_database(config).await?;
    if let Some(address) = set_address {
        let admin = app::backend::services::platform::seed::platform_admin(&db)
            .await
            .map_err(|e| Error(e.to_string()))?;
        let ctx = Ctx::of(&db, &admin, &Default::default());
        let ids: Vec<uuid::Uuid> = tenant::Entity::find()
            .select_only()
            .column(tenant::Column::Id)
            .filter(tenant::Column::BaseUrl.is_null())
            .into_tuple()
            .all(&db)
            .await
            .map_err(|e| Error(e.to_string()))?;
        let started = std::time::Instant::now();
        for id in &ids {
            health::set_address(&ctx, &id.to_string(), &address)
                .await
                .map_err(|e| Error(e.to_string()))?;
        }
        println!(
            "Set the address of {} tenants in {} ms.",
            ids.len(),
            started.elapsed().as_millis()
        );
    }
    let started = std::time::Instant::now();
    let report = health::validate_due(
        &db,
        &config.health,
        std::sync::Arc::new(app::backend::context::SystemClock),
        startup::build_executor(&db, config)?,
    )
    .await
    .map_err(|e| Error(e.to_string()))?;
    let took = started.elapsed();
    let peak_rss_mib = peak_rss_mib();
    println!(
        "Validated {} tenants ({} failed, {} claimed by another replica) in {} ms = {:.0} runs/s at {} at once; peak RSS {peak_rss_mib} MiB.",
        report.probed,
        report.failed,
        report.skipped,
        took.as_millis(),
        report.probed as f64 / took.as_secs_f64().max(0.001),
        config.health.concurrency
    );
    Ok(())
}

async fn seed(
    config: &Config,
    demo: bool,
    tenants: Option<usize>,
    endpoints_per_tenant: usize,
) -> startup::anyhow_like::Result<()> {
    use app::backend::services::platform::seed::platform_admin;
    use app::backend::services::platform::seed::seed_catalog;
    use app::backend::services::platform::seed::seed_demo;
    use app::backend::services::platform::seed::seed_fleet;
    use app::backend::services::platform::seed::seed_tenants;
    use startup::anyhow_like::Error;
    let db = startup::open_database(config).await?;
    let first = app::backend::services::access::users::ensure_first_admin(
        &db,
        config.admin_email.as_deref(),
        config.admin_password.as_deref(),
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| Error(e.to_string()))?;
    if let Some(first) = first {
        println!("Created the first platform admin {}", first.email);
        if let Some(password) = first.generated_password {
            println!("Password (shown once): {password}");
        }
    }
    let admin = platform_admin(&db)
        .await
        .map_err(|e| Error(e.to_string()))?;
    let created = match (demo, tenants) {
        (_, Some(count)) => {
            seed_tenants(
                &Ctx::of(&db, &admin, &Default::default()),
                &config.regions,
                1000,
                count,
            )
            .await
        }
        (true, None) => {
            seed_demo(&Ctx::of(&db, &admin, &Default::default()), &config.regions).await
        }
        (false, None) => return Err(Error("say what to seed: --demo or --tenants N".into())),
    }
    .map_err(|e| Error(e.to_string()))?;
    let products = seed_catalog(&Ctx::of(&db, &admin, &Default::default()))
        .await
        .map_err(|e| Error(e.to_string()))?;
    let started = std::time::Instant::now();
    let (versions, endpoints) =
        seed_fleet(&db, &products, endpoints_per_tenant, chrono::Utc::now())
            .await
            .map_err(|e| Error(e.to_string()))?;
    println!(
        "Recorded {versions} running versions and {endpoints} endpoints in {} s.",
        started.elapsed().as_secs()
    );
    app::backend::services::releases::compliance::assess(
        &db,
        app::backend::services::releases::compliance::Reach::All,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| Error(e.to_string()))?;
    // The seed's events are numbered now, as a running portal numbers each
    // event as it is written; they are history, not news for anyone's inbox.
    let started = std::time::Instant::now();
    let numbered = app::backend::events::sequence_all(&db, chrono::Utc::now())
        .await
        .map_err(|e| Error(e.to_string()))?;
    app::backend::services::notifications::from_events::skip_to_head(&db)
        .await
        .map_err(|e| Error(e.to_string()))?;
    println!(
        "Numbered {numbered} events in {} ms.",
        started.elapsed().as_millis()
    );
    app::backend::db::refresh_statistics(&db)
        .await
        .map_err(|e| Error(format!("refreshing statistics after the seed: {e}")))?;
    println!("Seeded {created} tenants.");
    Ok(())
}

async fn rollout_command(
    api: &ApiArgs,
    command: RolloutCommand,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let (client, json) = (api.client()?, api.json);
    let detail = match command {
        RolloutCommand::Create {
            name,
            product,
            version,
            waves,
            tenants,
            plan,
            region,
            label,
            success_threshold,
            error_threshold,
            concurrency,
            requires_approval,
        } => {
            let form = app::model::rollouts::RolloutForm {
                name,
                product,
                target_version: version,
                waves,
                tenants,
                plan,
                region,
                label,
                success_threshold,
                error_threshold,
                concurrency,
                requires_approval,
                ..Default::default()
            };
            let id = client
                .create_rollout(&form)
                .await
                .map_err(|e| Error(e.to_string()))?;
            client.rollout(&id.to_string()).await
        }
        RolloutCommand::Status { id } => client.rollout(&id).await,
        RolloutCommand::Pause { id } => client.rollout_action(&id, "pause").await,
        RolloutCommand::Resume { id } => client.rollout_action(&id, "resume").await,
        RolloutCommand::Abort { id } => client.rollout_action(&id, "abort").await,
    }
    .map_err(|e| Error(e.to_string()))?;
    if json {
        println!("{}", pretty_json(&detail));
    } else {
        print!("{}", server::client::render_rollout(&detail));
    }
    Ok(())
}

async fn tenants_command(
    api: &ApiArgs,
    command: TenantCommand,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let (client, json) = (api.client()?, api.json);
    let output = match command {
        TenantCommand::List(filters) => {
            let list = client.list(&filters).await;
            list.map(|l| {
                if json {
                    pretty_json(&l)
                } else {
                    render_list(&l)
                }
            })
        }
        TenantCommand::Show { id } => client.show(&id).await.map(|t| {
            if json {
                pretty_json(&t)
            } else {
                render_tenant(&t)
            }
        }),
        TenantCommand::Create(args) => client.create(*args).await.map(|t| {
            if json {
                pretty_json(&t)
            } else {
                format!("Created tenant {}.\n{}", t.summary.slug, render_tenant(&t))
            }
        }),
        TenantCommand::Transition { id, action } => {
            client.transition(&id, &action).await.map(|r| {
                if json {
                    pretty_json(&r)
                } else {
                    format!("{:?}.\n{}", r.status, render_tenant(&r.tenant))
                }
            })
        }
        TenantCommand::Health { id, run } => {
            let ran = if run {
                match client.run_health(&id).await {
                    Ok(run) => Some(run),
                    Err(e) => return Err(Error(e.to_string())),
                }
            } else {
                None
            };
            client.health(&id).await.map(|h| {
                if json {
                    pretty_json(&h)
                } else {
                    render_health(&h, ran.as_ref())
                }
            })
        }
    }
    .map_err(|e| Error(e.to_string()))?;
    println!("{output}");
    Ok(())
}

async fn export_command(
    api: &ApiArgs,
    tenant: &str,
    output: Option<std::path::PathBuf>,
    offboarding: bool,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let bytes = api
        .client()?
        .export(tenant, offboarding)
        .await
        .map_err(|e| Error(e.to_string()))?;
    let path = output.unwrap_or_else(|| format!("{tenant}-export.zip").into());
    std::fs::write(&path, &bytes).map_err(|e| Error(format!("{}: {e}", path.display())))?;
    println!(
        "Wrote {} ({} bytes, SHA-256 {}); manifest.json inside lists every file's checksum.",
        path.display(),
        bytes.len(),
        app::domain::tenants::backup::sha256_hex(&bytes)
    );
    Ok(())
}

async fn offboard_command(
    api: &ApiArgs,
    tenant: &str,
    reason: &str,
    retention_days: Option<u32>,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let started = api
        .client()?
        .offboard(tenant, reason, retention_days)
        .await
        .map_err(|e| Error(e.to_string()))?;
    if api.json {
        println!("{}", pretty_json(&started));
    } else {
        println!(
            "{}: {}\nExport SHA-256 {}; notice sent to {} contact(s); kept {} days after the clean-up.",
            started.stage_label,
            started.note,
            started.export_sha256.as_deref().unwrap_or("—"),
            started.notice_recipients.len(),
            started.retention_days
        );
    }
    Ok(())
}

async fn migrate_command(
    api: &ApiArgs,
    tenant: &str,
    region: String,
    isolation: String,
    reason: String,
    list: bool,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let client = api.client()?;
    if !list {
        let form = app::model::tenants::migrations::MigrationForm {
            region,
            isolation,
            reason,
            confirm: tenant.to_owned(),
        };
        let asked = client
            .migrate(tenant, form)
            .await
            .map_err(|e| Error(e.to_string()))?;
        if api.json {
            println!("{}", pretty_json(&asked));
            return Ok(());
        }
        println!(
            "Migration {} ({}): {} · {} → {} · {}; change {}",
            asked.id,
            asked.status_label,
            asked.from_region,
            asked.from_isolation,
            asked.to_region,
            asked.to_isolation,
            asked.change_id
        );
        return Ok(());
    }
    let view = client
        .migrations(tenant)
        .await
        .map_err(|e| Error(e.to_string()))?;
    if api.json {
        println!("{}", pretty_json(&view));
    } else {
        print!("{}", server::client::render_migrations(&view));
    }
    Ok(())
}

async fn backup_command(
    api: &ApiArgs,
    tenant: &str,
    list: bool,
    verify: Option<&str>,
    restore_test: Option<&str>,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let client = api.client()?;
    let queued_text = |queued: app::model::tenants::backups::QueuedChange| {
        if api.json {
            pretty_json(&queued)
        } else {
            format!(
                "{} ({}): {}\n/changes/{}",
                queued.title,
                queued.status.replace('_', " "),
                queued.schedule_reason,
                queued.change_id
            )
        }
    };
    let output = if let Some(id) = restore_test {
        client.restore_test(tenant, id).await.map(queued_text)
    } else if let Some(id) = verify {
        client.verify_backup(tenant, id).await.map(|b| {
            if api.json {
                pretty_json(&b)
            } else {
                format!("{}: {} — {}", b.id, b.verify_status, b.verify_message)
            }
        })
    } else if list {
        client.backups(tenant).await.map(|view| {
            if api.json {
                pretty_json(&view)
            } else {
                server::client::render_backups(&view)
            }
        })
    } else {
        client.request_backup(tenant).await.map(queued_text)
    }
    .map_err(|e| Error(e.to_string()))?;
    println!("{output}");
    Ok(())
}

async fn restore_command(
    api: &ApiArgs,
    tenant: &str,
    from: &str,
    note: &str,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let client = api.client()?;
    let queued = client
        .restore(tenant, from, note)
        .await
        .map_err(|e| Error(e.to_string()))?;
    if api.json {
        println!("{}", pretty_json(&queued));
    } else {
        println!(
            "{} ({}): {}\n/changes/{}",
            queued.title,
            queued.status.replace('_', " "),
            queued.schedule_reason,
            queued.change_id
        );
    }
    Ok(())
}

fn render_health(
    health: &app::model::tenants::health::TenantHealth,
    ran: Option<&app::model::tenants::health::HealthRunRow>,
) -> String {
    let mut out = String::new();
    if let Some(run) = ran {
        out.push_str(&format!(
            "Ran now: {} in {} ms.\n",
            if run.passed { "passed" } else { "failed" },
            run.duration_ms
        ));
    }
    out.push_str(&format!(
        "{}: {} · address {} · failing {} of {} in a row · 30-day pass rate {}\n",
        health.slug,
        health.state.label(),
        health.base_url.as_deref().unwrap_or("(none)"),
        health.consecutive_failures,
        health.failures_to_break,
        health
            .pass_rate
            .map_or_else(|| "—".to_owned(), |p| format!("{p} %"))
    ));
    if let Some(reason) = &health.state_reason {
        out.push_str(&format!("Why: {reason}\n"));
    }
    for run in &health.runs {
        out.push_str(&format!(
            "{}  {:<6}  {:>5} ms  {}\n",
            run.at.format("%Y-%m-%d %H:%M:%S"),
            if run.passed { "passed" } else { "FAILED" },
            run.duration_ms,
            run.results
                .iter()
                .map(|r| format!("{}/{}: {}", r.product, r.name, r.detail))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    out
}

async fn get_tenant_command(
    api: &ApiArgs,
    tenant: &str,
    output: &str,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let text = api
        .client()?
        .manifest(tenant, output)
        .await
        .map_err(|e| Error(e.to_string()))?;
    println!("{}", text.trim_end());
    Ok(())
}

/// Plans the manifests; `Ok(true)` when applying them would change something.
async fn diff_command(
    api: &ApiArgs,
    files: &[std::path::PathBuf],
) -> startup::anyhow_like::Result<bool> {
    use startup::anyhow_like::Error;
    let documents = server::client::manifest_documents(files).map_err(|e| Error(e.to_string()))?;
    let plan = api
        .client()?
        .plan_manifests(documents)
        .await
        .map_err(|e| Error(e.to_string()))?;
    if api.json {
        println!("{}", pretty_json(&plan));
    } else {
        println!("{}", server::client::render_plan(&plan));
    }
    Ok(plan.changed > 0)
}

fn pretty_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

async fn create_api_token(
    config: &Config,
    email: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> startup::anyhow_like::Result<()> {
    use app::backend::services::access::api_tokens;
    use app::backend::services::access::auth::principal_by_email;
    use startup::anyhow_like::Error;
    let db = startup::open_database(config).await?;
    let principal = principal_by_email(&db, email)
        .await
        .map_err(|e| Error(e.to_string()))?
        .ok_or_else(|| Error(format!("no active user has the email {email}")))?;
    let context = RequestContext::named("cli");
    let days = expires_in_days.map(|d| d.to_string()).unwrap_or_default();
    let created = api_tokens::create(&Ctx::of(&db, &principal, &context), name, &days, "")
        .await
        .map_err(|e| Error(e.to_string()))?;
    println!("{}", created.token);
    Ok(())
}

async fn events_command(api: &ApiArgs, command: EventCommand) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let (client, json) = (api.client()?, api.json);
    let EventCommand::Tail {
        after,
        event_type,
        tenant,
        follow,
    } = command;
    let mut filters = server::client::EventFilters {
        after,
        event_type,
        tenant,
        limit: 500,
    };
    loop {
        let page = client
            .events(&filters)
            .await
            .map_err(|e| Error(e.to_string()))?;
        for event in &page.items {
            if json {
                println!(
                    "{}",
                    serde_json::to_string(event).map_err(|e| Error(e.to_string()))?
                );
            } else {
                println!(
                    "{:>8}  {}  {:<28} {:<36} {}  {}",
                    event.sequence,
                    event.occurred_at.format("%Y-%m-%d %H:%M:%S"),
                    event.event_type,
                    event.resource_id.as_deref().unwrap_or("-"),
                    event.actor,
                    event.correlation_id.as_deref().unwrap_or("")
                );
            }
        }
        let caught_up = page.items.len() < filters.limit as usize;
        filters.after = page.next_after;
        if caught_up {
            if !follow {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    }
}

async fn webhooks_command(
    api: &ApiArgs,
    command: WebhookCommand,
) -> startup::anyhow_like::Result<()> {
    use startup::anyhow_like::Error;
    let (client, json) = (api.client()?, api.json);
    let fail = |e: server::client::ClientError| Error(e.to_string());
    let output = match command {
        WebhookCommand::List => {
            let list = client.webhooks().await.map_err(fail)?;
            if json {
                pretty_json(&list)
            } else {
                let mut lines = vec![format!(
                    "{:<36}  {:<8}  {:>7}  {:>4}  URL",
                    "ID", "ENABLED", "PENDING", "DEAD"
                )];
                for e in list["items"].as_array().cloned().unwrap_or_default() {
                    lines.push(format!(
                        "{:<36}  {:<8}  {:>7}  {:>4}  {}",
                        e["id"].as_str().unwrap_or_default(),
                        e["enabled"],
                        e["pending"],
                        e["dead"],
                        e["url"].as_str().unwrap_or_default()
                    ));
                }
                lines.join("\n")
            }
        }
        WebhookCommand::Create {
            target,
            tenant,
            event_type,
            description,
        } => {
            let created = client
                .create_webhook(&app::model::events::EndpointForm {
                    tenant: tenant.unwrap_or_default(),
                    url: target,
                    description,
                    event_types: event_type.unwrap_or_default(),
                })
                .await
                .map_err(fail)?;
            if json {
                pretty_json(&created)
            } else {
                format!(
                    "Created endpoint {}.\nSigning secret (shown once): {}",
                    created.endpoint.id, created.secret
                )
            }
        }
        WebhookCommand::Show { id } => {
            let detail = client.webhook_detail(&id).await.map_err(fail)?;
            if json {
                pretty_json(&detail)
            } else {
                let mut lines = vec![format!(
                    "{} {} (enabled: {}{})",
                    detail.endpoint.id,
                    detail.endpoint.url,
                    detail.endpoint.enabled,
                    detail
                        .endpoint
                        .disabled_reason
                        .as_deref()
                        .map(|r| format!(" — {r}"))
                        .unwrap_or_default()
                )];
                for a in &detail.attempts {
                    lines.push(format!(
                        "  {}  #{:<6} {:<26} {:>4}  {:>5} ms  {}",
                        a.at.format("%Y-%m-%d %H:%M:%S"),
                        a.sequence,
                        a.event_type,
                        a.status_code.map_or("-".into(), |s| s.to_string()),
                        a.latency_ms,
                        a.error.as_deref().unwrap_or(&a.response_excerpt)
                    ));
                }
                lines.join("\n")
            }
        }
        WebhookCommand::Test { id } => {
            let sent = client
                .webhook_action(&id, "test", None)
                .await
                .map_err(fail)?;
            if json {
                pretty_json(&sent)
            } else {
                format!(
                    "Test event {} sent.",
                    sent["event_id"].as_str().unwrap_or_default()
                )
            }
        }
        WebhookCommand::Replay {
            id,
            from_sequence: Some(from_sequence),
            ..
        } => {
            let body = serde_json::json!({ "from_sequence": from_sequence });
            let done = client
                .webhook_action(&id, "replay", Some(body))
                .await
                .map_err(fail)?;
            if json {
                pretty_json(&done)
            } else {
                format!(
                    "{} events queued again from sequence {from_sequence}.",
                    done["replayed"]
                )
            }
        }
        WebhookCommand::Replay { id, since, .. } => {
            let body = serde_json::json!({ "since": since });
            let done = client
                .webhook_action(&id, "requeue", Some(body))
                .await
                .map_err(fail)?;
            if json {
                pretty_json(&done)
            } else {
                format!("{} dead deliveries queued again.", done["requeued"])
            }
        }
        WebhookCommand::RotateSecret { id } => {
            let rotated = client
                .webhook_action(&id, "rotate-secret", None)
                .await
                .map_err(fail)?;
            if json {
                pretty_json(&rotated)
            } else {
                format!(
                    "New signing secret (shown once; the old one signs too for 24 hours): {}",
                    rotated["secret"].as_str().unwrap_or_default()
                )
            }
        }
    };
    println!("{output}");
    Ok(())
}
