//! A cached DataFrame's rows: in memory while the server's memory pool has room, and, for
//! levels that allow disk (`MEMORY_AND_DISK`, `DISK_ONLY`), the rest in Arrow IPC files in
//! the spill directory (`spark.local.dir`), one per partition. The files are deleted when
//! the rows are let go.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::{ArrowSource, FileGroup, FileScanConfigBuilder};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::spill_file::{SpillFile, SpillWriter};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;

/// Where a storage level lets rows be kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub memory: bool,
    pub disk: bool,
}

pub(crate) struct KeptRows {
    /// The first partitions, in memory.
    in_memory: Vec<Vec<RecordBatch>>,
    /// The partitions after them, one file each.
    on_disk: Vec<DiskPartition>,
    _reservation: MemoryReservation,
}

struct DiskPartition {
    /// Held so the file lives as long as the rows are kept.
    _file: Arc<dyn SpillFile>,
    path: String,
    size: u64,
}

impl std::fmt::Debug for KeptRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptRows")
            .field("in_memory", &self.in_memory.len())
            .field("on_disk", &self.on_disk.len())
            .finish()
    }
}

impl KeptRows {
    /// Runs `plan` and keeps its rows under `schema`; None when they fit nowhere the level
    /// allows. Once a partition does not fit in memory, it and every later one go to disk,
    /// so the partitions stay in order: memory first, then disk.
    pub(crate) async fn keep(
        plan: Arc<dyn ExecutionPlan>,
        task: Arc<TaskContext>,
        schema: SchemaRef,
        placement: Placement,
    ) -> Result<Option<KeptRows>> {
        let runtime = task.runtime_env();
        let reservation = MemoryConsumer::new("cached DataFrame").register(&runtime.memory_pool);
        let mut spilling = !placement.memory;
        if spilling && !placement.disk {
            return Ok(None);
        }
        let mut in_memory = Vec::new();
        let mut on_disk = Vec::new();
        for partition in 0..plan.properties().output_partitioning().partition_count() {
            let mut stream = plan.execute(partition, task.clone())?;
            let mut batches: Vec<RecordBatch> = Vec::new();
            let mut writer = match spilling {
                true => Some(PartitionFile::create(&runtime, &schema)?),
                false => None,
            };
            while let Some(batch) = stream.next().await {
                let batch = RecordBatch::try_new(schema.clone(), batch?.columns().to_vec())?;
                if let Some(writer) = writer.as_mut() {
                    writer.write(&batch)?;
                    continue;
                }
                if reservation.try_grow(batch.get_array_memory_size()).is_ok() {
                    batches.push(batch);
                    continue;
                }
                if !placement.disk {
                    return Ok(None);
                }
                spilling = true;
                let mut file = PartitionFile::create(&runtime, &schema)?;
                let freed: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
                for kept in batches.drain(..) {
                    file.write(&kept)?;
                }
                reservation.shrink(freed);
                file.write(&batch)?;
                writer = Some(file);
            }
            match writer {
                Some(file) => on_disk.push(file.finish()?),
                None => in_memory.push(batches),
            }
        }
        Ok(Some(KeptRows {
            in_memory,
            on_disk,
            _reservation: reservation,
        }))
    }

    /// A plan reading the kept rows, partition by partition in their order.
    pub(crate) fn scan(
        &self,
        schema: &SchemaRef,
        projection: Option<&Vec<usize>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        if !self.in_memory.is_empty() || self.on_disk.is_empty() {
            inputs.push(MemorySourceConfig::try_new_exec(
                &self.in_memory,
                schema.clone(),
                projection.cloned(),
            )?);
        }
        if !self.on_disk.is_empty() {
            let source = Arc::new(ArrowSource::new_file_source(schema.clone()));
            let groups = self
                .on_disk
                .iter()
                .map(|p| FileGroup::from(vec![PartitionedFile::new(p.path.clone(), p.size)]))
                .collect();
            let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), source)
                .with_file_groups(groups)
                .with_projection_indices(projection.cloned())?
                .build();
            inputs.push(DataSourceExec::from_data_source(config));
        }
        UnionExec::try_new(inputs)
    }
}

/// One partition's rows being written to a spill file.
struct PartitionFile {
    file: Arc<dyn SpillFile>,
    writer: FileWriter<Box<dyn SpillWriter>>,
}

impl PartitionFile {
    fn create(runtime: &Arc<RuntimeEnv>, schema: &SchemaRef) -> Result<Self> {
        let file = runtime.disk_manager.create_tmp_file("cached DataFrame")?;
        let writer = FileWriter::try_new(file.open_writer()?, schema)?;
        Ok(PartitionFile { file, writer })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.writer.write(batch)?)
    }

    fn finish(mut self) -> Result<DiskPartition> {
        self.writer.finish()?;
        self.writer.into_inner()?.finish()?;
        let path = self.file.path().ok_or_else(|| {
            DataFusionError::Execution("cached rows need a local spill directory".into())
        })?;
        let size = std::fs::metadata(path)?.len();
        Ok(DiskPartition {
            path: path.to_string_lossy().into_owned(),
            size,
            _file: self.file,
        })
    }
}
