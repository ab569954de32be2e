//! `cacheTable` / `CACHE TABLE`: a catalog table's rows are read once and kept in memory;
//! later reads of the table scan them instead of its files, until `refreshTable`,
//! `refreshByPath`, `uncacheTable` or `clearCache` let go of them, as in Spark.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ember_resolve::{CachedPlan, CatalogRelation, ResolveResult, TableCatalog};
use ember_spec::{Plan, ReadSource, Relation};

use crate::{CatalogStore, ExecResult, Session};

pub(crate) type CachedTables = Mutex<HashMap<String, CachedPlan>>;

/// What the resolver sees of a session's catalog: its cached tables, then the record.
pub(crate) struct SessionTables {
    store: CatalogStore,
    cached: HashMap<String, CachedPlan>,
    persisted: Arc<crate::frame_cache::PersistedFrames>,
    checkpoints: Arc<crate::frame_cache::PersistedFrames>,
}

impl TableCatalog for SessionTables {
    fn lookup(&self, name: &[String]) -> ResolveResult<Option<CatalogRelation>> {
        if let Ok(key) = self.store.key(name) {
            if let Some(provider) = self.cached.get(&key) {
                return Ok(Some(CatalogRelation::Cached(provider.clone())));
            }
        }
        self.store.lookup(name)
    }

    fn function(&self, name: &[String]) -> ResolveResult<Option<ember_spec::SqlFunction>> {
        self.store.function(name)
    }

    fn cached_plan(&self, plan: &Plan) -> Option<ember_resolve::CachedPlan> {
        if let ember_spec::Relation::CachedRemote { .. } = plan.relation {
            // Checkpoints are known by their id alone, whatever plan id the client gives.
            return self.checkpoints.cached(&Plan::new(plan.relation.clone()));
        }
        self.persisted.cached(plan)
    }
}

impl Session {
    pub(crate) fn session_tables(&self) -> SessionTables {
        SessionTables {
            store: self.catalog_store(),
            cached: self
                .cached_tables
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            persisted: self.persisted.clone(),
            checkpoints: self.checkpoints.clone(),
        }
    }

    fn table_plan(name: &[String]) -> Plan {
        Plan::new(Relation::Read(ReadSource::Table {
            name: name.to_vec(),
        }))
    }

    /// Reads the table now and keeps its rows, as `cache()` keeps a DataFrame's: in memory
    /// within the limit, the rest in the spill directory.
    pub async fn cache_table(&self, name: &[String]) -> ExecResult<()> {
        let key = self.catalog_store().key(name)?;
        let resolved = self.resolver().resolve(Self::table_plan(name)).await?;
        let cached =
            crate::frame_cache::cached_plan(resolved, crate::StorageLevel::MEMORY_AND_DISK_DESER);
        crate::frame_cache::materialize_now(&cached, self.context()).await?;
        self.cached_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, cached);
        Ok(())
    }

    /// Lets go of a table's cached rows; the table must exist.
    pub async fn uncache_table(&self, name: &[String]) -> ExecResult<()> {
        self.logical_plan(Self::table_plan(name)).await?;
        let key = self.catalog_store().key(name)?;
        self.cached_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        Ok(())
    }

    /// Reads a cached table's rows again after a write into it.
    pub(crate) async fn recache_table(&self, name: &[String]) -> ExecResult<()> {
        let Ok(key) = self.catalog_store().key(name) else {
            return Ok(());
        };
        let cached = self
            .cached_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key)
            .is_some();
        if cached {
            self.cache_table(name).await?;
        }
        Ok(())
    }

    /// Drops a table's cached rows, if any, after its definition changed.
    pub(crate) fn forget_cached_table(&self, name: &[String]) {
        if let Ok(key) = self.catalog_store().key(name) {
            self.cached_tables
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
        }
    }

    pub async fn is_cached(&self, name: &[String]) -> ExecResult<bool> {
        self.logical_plan(Self::table_plan(name)).await?;
        let key = self.catalog_store().key(name)?;
        Ok(self
            .cached_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&key))
    }

    /// `clearCache`: every cached table and persisted DataFrame lets go of its rows.
    pub fn clear_cache(&self) {
        self.persisted.clear();
        self.cached_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// `refreshTable`: the next read sees the files as they are now.
    pub async fn refresh_table(&self, name: &[String]) -> ExecResult<()> {
        let key = self.catalog_store().key(name)?;
        self.cached_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        self.logical_plan(Self::table_plan(name)).await?;
        Ok(())
    }

    /// `refreshByPath`: every cached table whose data lies under `path` is read afresh.
    pub fn refresh_by_path(&self, path: &str) {
        let wanted = path
            .strip_prefix("file:")
            .unwrap_or(path)
            .trim_end_matches('/');
        let store = self.catalog_store();
        let mut cached = self.cached_tables.lock().unwrap_or_else(|e| e.into_inner());
        cached.retain(|key, _| {
            let name: Vec<String> = key.split('.').map(String::from).collect();
            let location = store
                .get(&name)
                .ok()
                .flatten()
                .and_then(|entry| store.data_path(&entry).ok());
            !location.is_some_and(|l| l.starts_with(wanted))
        });
    }
}
