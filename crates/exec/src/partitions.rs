//! A partitioned table's directories: one `column=value` level per partition column, rows in
//! the leaves. Appends merge new leaves into old ones; an overwrite of some partitions swaps
//! only those leaves, moving the old ones aside until the new ones are in place.

use std::path::{Path, PathBuf};

use ember_formats::commit::{self, Commit, CommitPlan};

use crate::{ExecError, ExecResult};

/// One leaf partition: its values in partition-column order, and its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionDir {
    pub values: Vec<(String, String)>,
    pub path: PathBuf,
}

impl PartitionDir {
    /// `a=1/b=x`, as Spark's `SHOW PARTITIONS` prints it.
    pub fn spec(&self) -> String {
        self.values
            .iter()
            .map(|(column, value)| format!("{column}={value}"))
            .collect::<Vec<_>>()
            .join("/")
    }

    pub fn matches(&self, wanted: &[(String, String)]) -> bool {
        wanted.iter().all(|(column, value)| {
            self.values
                .iter()
                .any(|(c, v)| c.eq_ignore_ascii_case(column) && v == value)
        })
    }
}

/// Which old partitions an overwrite replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverwriteScope {
    /// Those whose values match these static ones (Spark's static overwrite mode).
    Matching(Vec<(String, String)>),
    /// Those the new rows write (dynamic partition overwrite).
    Written,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ExecError + '_ {
    move |source| ExecError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The leaf partitions under `root` for `columns`, sorted by their path. Hidden and
/// underscore-prefixed entries (staging, `_SUCCESS`) and directories that do not name the
/// expected column are not partitions.
pub fn leaf_partitions(root: &Path, columns: &[String]) -> ExecResult<Vec<PartitionDir>> {
    let mut found = Vec::new();
    collect_leaves(root, columns, &mut Vec::new(), &mut found)?;
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn collect_leaves(
    directory: &Path,
    columns: &[String],
    prefix: &mut Vec<(String, String)>,
    found: &mut Vec<PartitionDir>,
) -> ExecResult<()> {
    let Some(column) = columns.get(prefix.len()) else {
        found.push(PartitionDir {
            values: prefix.clone(),
            path: directory.to_path_buf(),
        });
        return Ok(());
    };
    if !directory.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(directory).map_err(io_error(directory))? {
        let entry = entry.map_err(io_error(directory))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let Some((key, value)) = name.split_once('=') else {
            continue;
        };
        if !key.eq_ignore_ascii_case(column) || !entry.path().is_dir() {
            continue;
        }
        prefix.push((column.clone(), value.to_string()));
        collect_leaves(&entry.path(), columns, prefix, found)?;
        prefix.pop();
    }
    Ok(())
}

/// Moves everything under `staging` into `target` (see `ember_formats::commit::merge_into`).
pub fn merge_into(staging: &Path, target: &Path) -> ExecResult<()> {
    commit::merge_into(staging, target).map_err(io_error(target))
}

/// Puts the partitions written under `staging` into `target`, first moving aside the old
/// partitions `scope` replaces; if the move-in fails, the old ones come back.
pub fn commit_partitions(
    staging: &Path,
    target: &Path,
    columns: &[String],
    scope: &OverwriteScope,
) -> ExecResult<()> {
    let old = leaf_partitions(target, columns)?;
    let replaced: Vec<PartitionDir> = match scope {
        OverwriteScope::Matching(wanted) => old.into_iter().filter(|p| p.matches(wanted)).collect(),
        OverwriteScope::Written => {
            let written = leaf_partitions(staging, columns)?;
            old.into_iter()
                .filter(|p| written.iter().any(|w| w.values == p.values))
                .collect()
        }
    };
    let trash = commit::aside_for(target);
    let moves: Vec<(PathBuf, PathBuf)> = replaced
        .iter()
        .enumerate()
        .map(|(index, partition)| (partition.path.clone(), trash.path().join(index.to_string())))
        .collect();
    let plan = CommitPlan::ReplacePartitions {
        moves: moves.clone(),
        trash: trash.path().to_path_buf(),
    };
    let journal = Commit::begin(target, staging, &plan).map_err(io_error(target))?;
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (original, aside) in moves {
        let result =
            std::fs::create_dir_all(trash.path()).and_then(|()| std::fs::rename(&original, &aside));
        if let Err(error) = result {
            restore(&moved);
            journal.abandon();
            return Err(io_error(&original)(error));
        }
        moved.push((original, aside));
    }
    if let Err(error) = merge_into(staging, target) {
        restore(&moved);
        journal.abandon();
        return Err(error);
    }
    if trash.path().exists() {
        std::fs::remove_dir_all(trash.path()).map_err(io_error(trash.path()))?;
    }
    journal.finish().map_err(io_error(target))
}

/// Best effort: the old partitions go back where they were.
fn restore(moved: &[(PathBuf, PathBuf)]) {
    for (original, aside) in moved {
        let _ = std::fs::rename(aside, original);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn touch(path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, b"x")
    }

    fn files(root: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.push(path.strip_prefix(root)?.to_string_lossy().to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn columns() -> Vec<String> {
        vec!["a".to_string(), "b".to_string()]
    }

    #[test]
    fn leaves_are_found_in_column_order_and_other_entries_skipped() -> TestResult {
        let root = tempfile::tempdir()?;
        touch(&root.path().join("a=1/b=x/part-0.parquet"))?;
        touch(&root.path().join("a=2/b=y/part-0.parquet"))?;
        touch(&root.path().join("_SUCCESS"))?;
        std::fs::create_dir_all(root.path().join("b=1"))?;
        let leaves = leaf_partitions(root.path(), &columns())?;
        let specs: Vec<String> = leaves.iter().map(PartitionDir::spec).collect();
        assert_eq!(specs, vec!["a=1/b=x", "a=2/b=y"]);
        Ok(())
    }

    #[test]
    fn append_merges_into_existing_partitions() -> TestResult {
        let root = tempfile::tempdir()?;
        let target = root.path().join("t");
        let staging = root.path().join("staging");
        touch(&target.join("a=1/b=x/part-0.parquet"))?;
        touch(&staging.join("a=1/b=x/part-0.parquet"))?;
        touch(&staging.join("a=1/b=z/part-0.parquet"))?;
        merge_into(&staging, &target)?;
        let listed = files(&target)?;
        assert_eq!(listed.len(), 3, "{listed:?}");
        assert!(listed.iter().all(|f| f.starts_with("a=1/")), "{listed:?}");
        assert!(!staging.exists());
        Ok(())
    }

    #[test]
    fn static_overwrite_replaces_only_matching_partitions() -> TestResult {
        let root = tempfile::tempdir()?;
        let target = root.path().join("t");
        let staging = root.path().join("staging");
        touch(&target.join("a=1/b=x/old.parquet"))?;
        touch(&target.join("a=1/b=y/old.parquet"))?;
        touch(&target.join("a=2/b=x/old.parquet"))?;
        touch(&staging.join("a=1/b=z/new.parquet"))?;
        let scope = OverwriteScope::Matching(vec![("a".into(), "1".into())]);
        commit_partitions(&staging, &target, &columns(), &scope)?;
        assert_eq!(
            files(&target)?,
            vec!["a=1/b=z/new.parquet", "a=2/b=x/old.parquet"]
        );
        Ok(())
    }

    #[test]
    fn dynamic_overwrite_replaces_only_written_partitions() -> TestResult {
        let root = tempfile::tempdir()?;
        let target = root.path().join("t");
        let staging = root.path().join("staging");
        touch(&target.join("a=1/b=x/old.parquet"))?;
        touch(&target.join("a=1/b=y/old.parquet"))?;
        touch(&staging.join("a=1/b=x/new.parquet"))?;
        commit_partitions(&staging, &target, &columns(), &OverwriteScope::Written)?;
        assert_eq!(
            files(&target)?,
            vec!["a=1/b=x/new.parquet", "a=1/b=y/old.parquet"]
        );
        let mut leftovers = Vec::new();
        for entry in std::fs::read_dir(root.path())? {
            leftovers.push(entry?.file_name().to_string_lossy().to_string());
        }
        assert_eq!(leftovers, vec!["t"]);
        Ok(())
    }
}
