//! Where backup bundles are written: one target per installation, behind the
//! `object_store` crate's one trait — a local directory by default (zero
//! set-up), or S3-compatible object storage. Configured by
//! `TENANTRY_BACKUP_TARGET`: a directory (`data/backups`, the default, or
//! `file:///srv/backups`) or `s3://bucket/prefix`, whose credentials,
//! region and endpoint come from the usual `AWS_*` variables
//! (`AWS_ENDPOINT` and `AWS_ALLOW_HTTP=true` for a local S3-compatible
//! server).

use std::sync::{Arc, LazyLock, RwLock};

use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

/// The default directory, relative to the server's working directory (next
/// to its other data).
pub const DEFAULT_DIRECTORY: &str = "data/backups";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the bundle is not at {0}")]
    Missing(String),
    #[error("{0} is not in this portal's backup target ({1})")]
    Elsewhere(String, String),
    #[error("the backup target failed: {0}")]
    Target(String),
    #[error("the backup target is misconfigured: {0}")]
    Config(String),
}

/// One configured target: the store and the URI its keys hang from.
#[derive(Clone)]
pub struct BackupTarget {
    store: Arc<dyn ObjectStore>,
    /// `file:///abs/dir` or `s3://bucket/prefix`, without a trailing slash.
    base: String,
    /// The key prefix inside the store (S3) — empty for a directory, whose
    /// store is already rooted at it.
    prefix: String,
}

impl std::fmt::Debug for BackupTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupTarget")
            .field("base", &self.base)
            .finish()
    }
}

impl BackupTarget {
    /// A target from its configured form (see the module docs), S3
    /// settings from the process environment.
    pub fn from_setting(setting: &str) -> Result<Self, StoreError> {
        Self::from_setting_with(setting, |name| std::env::var(name).ok())
    }

    /// A target from its configured form, S3 settings (`AWS_ENDPOINT`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_ALLOW_HTTP`) read through `lookup`.
    pub fn from_setting_with(
        setting: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, StoreError> {
        let setting = setting.trim();
        if let Some(rest) = setting.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(StoreError::Config(
                    "an s3:// target names its bucket, e.g. s3://backups/tenantry".into(),
                ));
            }
            let mut builder = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region(lookup("AWS_REGION").unwrap_or_else(|| "us-east-1".into()));
            if let Some(endpoint) = lookup("AWS_ENDPOINT") {
                builder = builder.with_endpoint(endpoint);
            }
            if let Some(key) = lookup("AWS_ACCESS_KEY_ID") {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = lookup("AWS_SECRET_ACCESS_KEY") {
                builder = builder.with_secret_access_key(secret);
            }
            if lookup("AWS_ALLOW_HTTP").is_some_and(|v| v == "true" || v == "1") {
                builder = builder.with_allow_http(true);
            }
            let store = builder
                .build()
                .map_err(|e| StoreError::Config(e.to_string()))?;
            let prefix = prefix.trim_matches('/').to_owned();
            let base = if prefix.is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{prefix}")
            };
            return Ok(Self {
                store: Arc::new(store),
                base,
                prefix,
            });
        }
        let directory = setting.strip_prefix("file://").unwrap_or(setting);
        let directory = if directory.is_empty() {
            DEFAULT_DIRECTORY
        } else {
            directory
        };
        std::fs::create_dir_all(directory)
            .map_err(|e| StoreError::Config(format!("cannot create {directory}: {e}")))?;
        let absolute = std::fs::canonicalize(directory)
            .map_err(|e| StoreError::Config(format!("{directory}: {e}")))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&absolute)
            .map_err(|e| StoreError::Config(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            base: format!("file://{}", absolute.display()),
            prefix: String::new(),
        })
    }

    /// Where this target keeps its bundles, for people (no credentials).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The location (URI) a key is written to.
    pub fn location(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
    }

    fn path_of(&self, location: &str) -> Result<ObjectPath, StoreError> {
        let key = location
            .strip_prefix(&self.base)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|key| !key.is_empty() && !key.split('/').any(|part| part == ".."))
            .ok_or_else(|| StoreError::Elsewhere(location.to_owned(), self.base.clone()))?;
        let full = if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        };
        ObjectPath::parse(full).map_err(|e| StoreError::Target(e.to_string()))
    }

    /// Writes `bytes` under `key` (replacing what was there: a step handed
    /// over again writes the same bundle again) and returns its location.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<String, StoreError> {
        let location = self.location(key);
        let path = self.path_of(&location)?;
        self.store
            .put(&path, object_store::PutPayload::from(bytes))
            .await
            .map_err(|e| StoreError::Target(e.to_string()))?;
        Ok(location)
    }

    /// Reads the bundle at `location` back, whole.
    pub async fn get(&self, location: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(location)?;
        match self.store.get(&path).await {
            Ok(found) => Ok(found
                .bytes()
                .await
                .map_err(|e| StoreError::Target(e.to_string()))?
                .to_vec()),
            Err(object_store::Error::NotFound { .. }) => {
                Err(StoreError::Missing(location.to_owned()))
            }
            Err(e) => Err(StoreError::Target(e.to_string())),
        }
    }

    /// Deletes the bundle at `location`; already gone counts as deleted.
    pub async fn delete(&self, location: &str) -> Result<(), StoreError> {
        let path = self.path_of(location)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::Target(e.to_string())),
        }
    }
}

static TARGET: LazyLock<RwLock<Option<BackupTarget>>> = LazyLock::new(|| RwLock::new(None));

/// Sets the installation's target (at start-up, from its setting).
pub fn configure(target: BackupTarget) {
    *TARGET.write().expect("backup target lock") = Some(target);
}

/// The installation's target: as configured, else from
/// `TENANTRY_BACKUP_TARGET`, else the default directory.
pub fn current() -> Result<BackupTarget, StoreError> {
    if let Some(target) = TARGET.read().expect("backup target lock").clone() {
        return Ok(target);
    }
    let setting = std::env::var("TENANTRY_BACKUP_TARGET").unwrap_or_default();
    let target = BackupTarget::from_setting(&setting)?;
    configure(target.clone());
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_target_writes_reads_and_deletes_by_location() {
        let dir = std::env::temp_dir().join(format!("tenantry-store-{}", uuid::Uuid::new_v4()));
        let target = BackupTarget::from_setting(dir.to_str().unwrap()).unwrap();
        assert!(target.base().starts_with("file:///"));
        let location = target.put("t/one.json", b"hello".to_vec()).await.unwrap();
        assert_eq!(location, format!("{}/t/one.json", target.base()));
        assert_eq!(target.get(&location).await.unwrap(), b"hello");
        target.delete(&location).await.unwrap();
        assert!(matches!(
            target.get(&location).await,
            Err(StoreError::Missing(_))
        ));
        target.delete(&location).await.unwrap();
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_location_outside_the_target_is_refused() {
        let dir = std::env::temp_dir().join(format!("tenantry-store-{}", uuid::Uuid::new_v4()));
        let target = BackupTarget::from_setting(dir.to_str().unwrap()).unwrap();
        for elsewhere in [
            "file:///etc/passwd".to_owned(),
            format!("{}/../x", target.base()),
            "s3://bucket/key".to_owned(),
        ] {
            assert!(
                matches!(target.get(&elsewhere).await, Err(StoreError::Elsewhere(..))),
                "{elsewhere}"
            );
        }
        std::fs::remove_dir_all(dir).ok();
    }
}
