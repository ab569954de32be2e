//! The server's memory budget: one pool that every session's queries draw from, so a large sort,
//! aggregation or join spills to disk instead of exhausting the machine, and concurrent
//! sessions share the budget fairly (DataFusion's fair spill pool).

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{
    FairSpillPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation, TrackConsumersPool,
    UnboundedMemoryPool,
};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;

/// How many of the largest consumers an out-of-memory error names.
const CONSUMERS_NAMED: usize = 3;
/// The share of the machine's memory queries may use when no limit is given.
const DEFAULT_SHARE: f64 = 0.6;

/// The memory limit in bytes (`None`: unbounded) and where spill files go (`None`: the
/// system's temporary directory).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemorySettings {
    pub limit: Option<usize>,
    pub spill_dir: Option<PathBuf>,
}

impl MemorySettings {
    /// A share of the machine's memory, spilling to the system's temporary directory.
    pub fn for_this_machine() -> MemorySettings {
        MemorySettings {
            limit: machine_memory().map(|total| (total as f64 * DEFAULT_SHARE) as usize),
            spill_dir: None,
        }
    }
}

/// The pool and spill directory shared by every session of a server.
#[derive(Clone)]
pub struct SharedMemory {
    pool: Arc<dyn MemoryPool>,
    settings: MemorySettings,
}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("settings", &self.settings)
            .field("reserved", &self.pool.reserved())
            .finish()
    }
}

impl Default for SharedMemory {
    fn default() -> Self {
        SharedMemory::new(MemorySettings::default())
    }
}

impl SharedMemory {
    pub fn new(settings: MemorySettings) -> SharedMemory {
        let pool: Arc<dyn MemoryPool> = match settings.limit {
            Some(limit) => Arc::new(LimitedPool {
                inner: TrackConsumersPool::new(
                    FairSpillPool::new(limit),
                    NonZeroUsize::new(CONSUMERS_NAMED).unwrap_or(NonZeroUsize::MIN),
                ),
                limit,
            }),
            None => Arc::new(UnboundedMemoryPool::default()),
        };
        SharedMemory { pool, settings }
    }

    pub fn settings(&self) -> &MemorySettings {
        &self.settings
    }

    /// Bytes the running queries hold now.
    pub fn reserved(&self) -> usize {
        self.pool.reserved()
    }

    /// A session's runtime drawing from the shared pool and spilling to the shared directory.
    pub fn runtime(&self) -> RuntimeEnvBuilder {
        let mode = match &self.settings.spill_dir {
            Some(dir) => DiskManagerMode::Directories(vec![dir.clone()]),
            None => DiskManagerMode::OsTmpDirectory,
        };
        RuntimeEnvBuilder::new()
            .with_memory_pool(self.pool.clone())
            .with_disk_manager_builder(DiskManagerBuilder::default().with_mode(mode))
    }
}

/// A bounded pool whose refusals say what the limit is and how to raise it.
#[derive(Debug)]
struct LimitedPool {
    inner: TrackConsumersPool<FairSpillPool>,
    limit: usize,
}

impl std::fmt::Display for LimitedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ember pool of {}", human_size(self.limit))
    }
}

impl MemoryPool for LimitedPool {
    fn name(&self) -> &str {
        "ember"
    }
    fn register(&self, consumer: &MemoryConsumer) {
        self.inner.register(consumer)
    }
    fn unregister(&self, consumer: &MemoryConsumer) {
        self.inner.unregister(consumer)
    }
    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.inner.grow(reservation, additional)
    }
    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.inner.shrink(reservation, shrink)
    }
    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        self.inner
            .try_grow(reservation, additional)
            .map_err(|error| match error {
                DataFusionError::ResourcesExhausted(message) => {
                    DataFusionError::ResourcesExhausted(format!(
                        "{message}. The server's memory limit is {} (`ember server --memory`, \
                         `spark.ember.memory`).",
                        human_size(self.limit)
                    ))
                }
                other => other,
            })
    }
    fn reserved(&self) -> usize {
        self.inner.reserved()
    }
    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.limit)
    }
}

/// The machine's physical memory in bytes, where the system says.
fn machine_memory() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// A size as Spark's memory settings write it: a whole number with an optional unit (`b`, `k`,
/// `m`, `g`, `t`, with or without a trailing `b`, any case); a bare number means MiB, as in
/// `spark.driver.memory`.
pub fn parse_memory_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim().to_ascii_lowercase();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let number: usize = number
        .parse()
        .map_err(|_| format!("Size must be specified as bytes (b), kibibytes (k), mebibytes (m), gibibytes (g) or tebibytes (t), e.g. 50b, 100k, 250m or 2g; got '{text}'"))?;
    let shift = match unit.trim() {
        "b" => 0,
        "k" | "kb" => 10,
        "" | "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        other => return Err(format!("Invalid suffix '{other}' in size '{text}'")),
    };
    number
        .checked_mul(1usize << shift)
        .ok_or_else(|| format!("size '{text}' is too large"))
}

/// A byte count for people: `2.0 GiB`.
pub fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_spark_writes_them() {
        assert_eq!(parse_memory_size("2g"), Ok(2 << 30));
        assert_eq!(parse_memory_size("512M"), Ok(512 << 20));
        assert_eq!(parse_memory_size("64mb"), Ok(64 << 20));
        assert_eq!(parse_memory_size("100k"), Ok(100 << 10));
        assert_eq!(parse_memory_size("4096b"), Ok(4096));
        assert_eq!(parse_memory_size("300"), Ok(300 << 20));
        assert!(parse_memory_size("1.5g").is_err());
        assert!(parse_memory_size("lots").is_err());
        assert!(parse_memory_size("2x").is_err());
    }

    #[test]
    fn sizes_print_in_binary_units() {
        assert_eq!(human_size(2 << 30), "2.0 GiB");
        assert_eq!(human_size(1536 << 10), "1.5 MiB");
        assert_eq!(human_size(12), "12 B");
    }

    #[test]
    fn a_limited_pool_refuses_what_does_not_fit() -> Result<()> {
        let memory = SharedMemory::new(MemorySettings {
            limit: Some(1 << 20),
            spill_dir: None,
        });
        let runtime = memory.runtime().build_arc()?;
        let reservation = MemoryConsumer::new("test").register(&runtime.memory_pool);
        assert!(reservation.try_grow(512 << 10).is_ok());
        assert_eq!(memory.reserved(), 512 << 10);
        let refused = reservation.try_grow(1 << 20).err().map(|e| e.to_string());
        assert!(refused.is_some_and(|e| e.contains("memory limit is 1.0 MiB")));
        Ok(())
    }
}
