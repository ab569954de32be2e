//! Spark's file order for scans: largest file first.
//!
//! Spark packs the files of a scan into partitions after sorting them by size, largest first,
//! and returns rows partition by partition, so `spark.read.json([a, b]).show()` lists the rows
//! of the larger file first. DataFusion sorts by path. This rule re-deals the files of each
//! whole-file scan in Spark's order, keeping the number of partitions.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::Result;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig};
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;

#[derive(Debug, Default)]
pub struct SparkFileOrder;

impl PhysicalOptimizerRule for SparkFileOrder {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(scan) = node.downcast_ref::<DataSourceExec>() else {
                return Ok(Transformed::no(node));
            };
            let Some(config) = scan.data_source().downcast_ref::<FileScanConfig>() else {
                return Ok(Transformed::no(node));
            };
            match regrouped(config) {
                Some(config) => Ok(Transformed::yes(DataSourceExec::from_data_source(config))),
                None => Ok(Transformed::no(node)),
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "spark_file_order"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The scan with its files dealt largest first into as many groups as before, or None when the
/// scan reads byte ranges or promises an ordering that moving files would break.
fn regrouped(config: &FileScanConfig) -> Option<FileScanConfig> {
    // Arrow files are a cached DataFrame's kept partitions, one file each, already in order.
    if !config.output_ordering.is_empty() || config.file_source.file_type() == "arrow" {
        return None;
    }
    let groups = config.file_groups.len();
    let mut files: Vec<PartitionedFile> = config
        .file_groups
        .iter()
        .flat_map(|group| group.files().iter().cloned())
        .collect();
    if groups == 0 || files.len() < 2 || files.iter().any(|f| f.range.is_some()) {
        return None;
    }
    let spark_order = sorted_largest_first(&mut files);
    if !spark_order {
        return None;
    }
    let chunk = files.len().div_ceil(groups);
    let mut config = config.clone();
    config.file_groups = files
        .chunks(chunk)
        .map(|chunk| FileGroup::new(chunk.to_vec()))
        .collect();
    Some(config)
}

/// Sorts by size, largest first, then by path; true when that changed the order.
fn sorted_largest_first(files: &mut [PartitionedFile]) -> bool {
    let key = |f: &PartitionedFile| (std::cmp::Reverse(f.object_meta.size), f.path().to_string());
    if files.is_sorted_by_key(key) {
        return false;
    }
    files.sort_by_key(key);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> PartitionedFile {
        PartitionedFile::new(path.to_string(), size)
    }

    #[test]
    fn largest_file_comes_first_and_ties_keep_path_order() {
        let mut files = vec![file("a", 10), file("c", 30), file("b", 30)];
        assert!(sorted_largest_first(&mut files));
        let paths: Vec<String> = files.iter().map(|f| f.path().to_string()).collect();
        assert_eq!(paths, ["b", "c", "a"]);
        assert!(!sorted_largest_first(&mut files));
    }
}
