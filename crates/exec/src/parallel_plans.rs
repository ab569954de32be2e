//! Parallel where data is big, ordered where users can see it. Ember's session settings keep
//! Spark's row order for small inputs: no round-robin repartitioning, join sides where the
//! analyzer put them, one hash table per join. A query whose file scans read at least
//! [`PARALLEL_INPUT_BYTES`] is planned again with DataFusion's parallel choices instead:
//! round-robin repartitioned scans and aggregates, join order and build side chosen from
//! statistics, partitioned hash joins for large sides. Spark promises no row order without
//! ORDER BY, and users do not read inputs this large row by row.

use std::sync::Arc;

use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::SessionState;
use datafusion::physical_plan::ExecutionPlan;

/// Bytes of files a query must scan to be planned for parallelism.
pub const PARALLEL_INPUT_BYTES: u64 = 32 * 1024 * 1024;

/// The bytes of the files the plan's scans read.
pub(crate) fn scanned_bytes(plan: &Arc<dyn ExecutionPlan>) -> u64 {
    let own = plan
        .downcast_ref::<DataSourceExec>()
        .and_then(|scan| scan.data_source().downcast_ref::<FileScanConfig>())
        .map(|config| {
            config
                .file_groups
                .iter()
                .flat_map(|group| group.iter())
                .map(|file| file.object_meta.size)
                .sum::<u64>()
        })
        .unwrap_or(0);
    own + plan.children().into_iter().map(scanned_bytes).sum::<u64>()
}

/// `state` with DataFusion's parallel planning choices switched back on.
pub(crate) fn parallel_state(state: &SessionState) -> SessionState {
    let mut parallel = state.clone();
    let options = parallel.config_mut().options_mut();
    options.optimizer.enable_round_robin_repartition = true;
    options.optimizer.join_reordering = true;
    // Hash-partitioning both sides pays off with many cores; on two it measured slower than
    // one shared hash table (TPC-H SF1 q18: 1.1 s against 0.7 s).
    options.optimizer.repartition_joins = options.execution.target_partitions >= 4;
    parallel
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::listing::PartitionedFile;
    use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
    use datafusion::execution::object_store::ObjectStoreUrl;
    use datafusion::physical_plan::union::UnionExec;
    use datafusion::prelude::SessionConfig;

    fn scan(sizes: &[u64]) -> Arc<dyn ExecutionPlan> {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let source = Arc::new(ParquetSource::new(schema));
        let files = sizes
            .iter()
            .enumerate()
            .map(|(i, size)| PartitionedFile::new(format!("f{i}.parquet"), *size))
            .collect::<Vec<_>>();
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), source)
            .with_file_groups(vec![FileGroup::from(files)])
            .build();
        DataSourceExec::from_data_source(config)
    }

    #[test]
    fn scanned_bytes_add_up_over_every_scan() -> datafusion::common::Result<()> {
        let plan = UnionExec::try_new(vec![scan(&[10, 20]), scan(&[PARALLEL_INPUT_BYTES])])?;
        assert_eq!(scanned_bytes(&plan), 30 + PARALLEL_INPUT_BYTES);
        Ok(())
    }

    #[test]
    fn parallel_state_turns_the_parallel_choices_on() {
        let config = SessionConfig::new().with_target_partitions(8);
        let mut ordered = datafusion::execution::SessionStateBuilder::new()
            .with_config(config)
            .build();
        let options = ordered.config_mut().options_mut();
        options.optimizer.enable_round_robin_repartition = false;
        options.optimizer.join_reordering = false;
        options.optimizer.repartition_joins = false;
        let parallel = parallel_state(&ordered);
        let optimizer = &parallel.config_options().optimizer;
        assert!(optimizer.enable_round_robin_repartition);
        assert!(optimizer.join_reordering);
        assert!(optimizer.repartition_joins);
    }
}
