//! A partitioned table's directories: one `column=value` level per partition column, rows in
//! the leaves. Appends merge new leaves into old ones; an overwrite of some partitions swaps
//! only those leaves, moving the old ones aside until the new ones are in place.

use std::path::{Path, PathBuf};

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

/// Moves everything under `staging` into `target`, merging directories that both hold; a
/// file whose name is taken gets a fresh one, so appended rows never replace old ones.
pub fn merge_into(staging: &Path, target: &Path) -> ExecResult<()> {
    std::fs::create_dir_all(target).map_err(io_error(target))?;
    for entry in std::fs::read_dir(staging).map_err(io_error(staging))? {
        let entry = entry.map_err(io_error(staging))?;
        let name = entry.file_name();
        let mut destination = target.join(&name);
        let is_dir = entry.path().is_dir();
        if destination.exists() {
            if is_dir && destination.is_dir() {
                merge_into(&entry.path(), &destination)?;
                continue;
            }
            if name == "_SUCCESS" {
                continue;
            }
            destination = target.join(format!(
                "{}-{}",
                uuid::Uuid::new_v4(),
                name.to_string_lossy()
            ));
        }
        std::fs::rename(entry.path(), &destination).map_err(io_error(&destination))?;
    }
    std::fs::remove_dir_all(staging).map_err(io_error(staging))
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
    let trash = aside_path(target);
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (index, partition) in replaced.iter().enumerate() {
        let aside = trash.join(index.to_string());
        let result =
            std::fs::create_dir_all(&trash).and_then(|()| std::fs::rename(&partition.path, &aside));
        if let Err(error) = result {
            restore(&moved);
            return Err(io_error(&partition.path)(error));
        }
        moved.push((partition.path.clone(), aside));
    }
    if let Err(error) = merge_into(staging, target) {
        restore(&moved);
        return Err(error);
    }
    if trash.exists() {
        std::fs::remove_dir_all(&trash).map_err(io_error(&trash))?;
    }
    Ok(())
}

/// A fresh hidden sibling of `target` where replaced data waits until the new data is in.
pub fn aside_path(target: &Path) -> PathBuf {
    target.with_file_name(format!(
        ".{}.ember-old-{}",
        target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        uuid::Uuid::new_v4()
    ))
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
