//! How a write's output replaces or joins what a directory held, so that a server killed at
//! any moment leaves readers the old data or the new, never a mix and never nothing.
//!
//! A write fills a hidden staging sibling of its target (`.{name}.ember-staging-{pid}-{id}`).
//! Putting it in place takes several renames; before the first, a journal sibling
//! (`.{name}.ember-commit-{pid}-{id}`) records the plan, and it is removed after the last.
//! [`recover`] finishes the commit of a journal whose writer died, drops staging a dead writer
//! left without a journal (the write never committed), and puts back data moved aside.
//! Entries of writers still running (this process's, or another live process's) are left
//! alone.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{json, Value};

/// What a commit does with the staged output.
#[derive(Debug, Clone, PartialEq)]
pub enum CommitPlan {
    /// The target is moved to `aside`, the staging takes its place, `aside` is deleted.
    Replace { aside: PathBuf },
    /// The staging's files are moved into the target (append).
    Merge,
    /// Each `(partition, aside)` is moved aside, then the staging merged in, then `trash`
    /// (which holds the asides) deleted.
    ReplacePartitions {
        moves: Vec<(PathBuf, PathBuf)>,
        trash: PathBuf,
    },
}

/// Paths of commits and staging this process has under way, which recovery must not touch.
static LIVE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn live() -> std::sync::MutexGuard<'static, Option<HashSet<PathBuf>>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Marks a path as this process's work in progress until dropped.
#[derive(Debug)]
pub struct InProgress(PathBuf);

impl InProgress {
    pub fn new(path: PathBuf) -> Self {
        live().get_or_insert_with(HashSet::new).insert(path.clone());
        InProgress(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        if let Some(paths) = live().as_mut() {
            paths.remove(&self.0);
        }
    }
}

fn sibling(target: &Path, kind: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let id = format!("{:x}", rand_id());
    target.with_file_name(format!(".{name}.ember-{kind}-{}-{id}", std::process::id()))
}

/// A fresh id for sibling names, unique enough within one process and one target.
fn rand_id() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    nanos ^ (u128::from(NEXT.fetch_add(1, Ordering::Relaxed)) << 96)
}

/// A new staging directory's path for `target`, marked in progress.
pub fn staging_for(target: &Path) -> InProgress {
    InProgress::new(sibling(target, "staging"))
}

/// A new path to move `target`'s old data to, marked in progress.
pub fn aside_for(target: &Path) -> InProgress {
    InProgress::new(sibling(target, "old"))
}

/// A commit under way: its journal is on disk until [`Commit::finish`].
#[derive(Debug)]
pub struct Commit {
    journal: InProgress,
}

impl Commit {
    /// Writes the journal (and syncs it) before any rename.
    pub fn begin(target: &Path, staging: &Path, plan: &CommitPlan) -> std::io::Result<Commit> {
        let journal = InProgress::new(sibling(target, "commit"));
        let text = serde_json::to_vec(&journal_json(staging, plan))?;
        let file = std::fs::File::create(journal.path())?;
        std::io::Write::write_all(&mut &file, &text)?;
        file.sync_all()?;
        if let Some(parent) = target.parent() {
            // The journal's directory entry must be durable before the renames it covers.
            if let Ok(directory) = std::fs::File::open(parent) {
                let _ = directory.sync_all();
            }
        }
        Ok(Commit { journal })
    }

    pub fn finish(self) -> std::io::Result<()> {
        std::fs::remove_file(self.journal.path())
    }

    /// For a commit undone by its writer after an error: the journal must not be rolled
    /// forward later.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(self.journal.path());
    }
}

fn journal_json(staging: &Path, plan: &CommitPlan) -> Value {
    let path = |p: &Path| p.to_string_lossy().to_string();
    match plan {
        CommitPlan::Replace { aside } => {
            json!({"kind": "replace", "staging": path(staging), "aside": path(aside)})
        }
        CommitPlan::Merge => json!({"kind": "merge", "staging": path(staging)}),
        CommitPlan::ReplacePartitions { moves, trash } => json!({
            "kind": "partitions",
            "staging": path(staging),
            "trash": path(trash),
            "moves": moves.iter().map(|(from, to)| json!([path(from), path(to)])).collect::<Vec<_>>(),
        }),
    }
}

fn read_journal(journal: &Path) -> Option<(PathBuf, CommitPlan)> {
    let value: Value = serde_json::from_slice(&std::fs::read(journal).ok()?).ok()?;
    let path = |key: &str| value.get(key)?.as_str().map(PathBuf::from);
    let staging = path("staging")?;
    let plan = match value.get("kind")?.as_str()? {
        "replace" => CommitPlan::Replace {
            aside: path("aside")?,
        },
        "merge" => CommitPlan::Merge,
        "partitions" => CommitPlan::ReplacePartitions {
            trash: path("trash")?,
            moves: value
                .get("moves")?
                .as_array()?
                .iter()
                .filter_map(|pair| {
                    Some((
                        PathBuf::from(pair.get(0)?.as_str()?),
                        PathBuf::from(pair.get(1)?.as_str()?),
                    ))
                })
                .collect(),
        },
        _ => return None,
    };
    Some((staging, plan))
}

/// Moves everything under `staging` into `target`, merging directories both hold; a file
/// whose name is taken gets a fresh one, so appended rows never replace old ones. Files
/// already moved are gone from `staging`, so running it again after a crash finishes the job.
pub fn merge_into(staging: &Path, target: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(target)?;
    for entry in std::fs::read_dir(staging)? {
        let entry = entry?;
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
            destination = target.join(format!("{:x}-{}", rand_id(), name.to_string_lossy()));
        }
        std::fs::rename(entry.path(), &destination)?;
    }
    std::fs::remove_dir_all(staging)
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else if path.exists() {
        std::fs::remove_file(path)
    } else {
        Ok(())
    }
}

/// Carries a dead writer's commit through to the end.
fn roll_forward(target: &Path, staging: &Path, plan: &CommitPlan) -> std::io::Result<()> {
    match plan {
        CommitPlan::Replace { aside } => {
            if staging.exists() {
                if target.exists() && !aside.exists() {
                    std::fs::rename(target, aside)?;
                }
                if !target.exists() {
                    std::fs::rename(staging, target)?;
                }
            } else if !target.exists() && aside.exists() {
                // Nothing new to put in place: the old data goes back.
                std::fs::rename(aside, target)?;
            }
            remove_any(aside)
        }
        CommitPlan::Merge => {
            if staging.exists() {
                merge_into(staging, target)?;
            }
            Ok(())
        }
        CommitPlan::ReplacePartitions { moves, trash } => {
            if staging.exists() {
                for (partition, aside) in moves {
                    // Asides all happen before the merge, so a partition not yet moved aside
                    // still holds old data only.
                    if partition.exists() && !aside.exists() {
                        if let Some(parent) = aside.parent() {
                            std::fs::create_dir_all(parent)?;
                        }
                        std::fs::rename(partition, aside)?;
                    }
                }
                merge_into(staging, target)?;
            }
            remove_any(trash)
        }
    }
}

/// The writer's process id in a sibling's name (`...-{pid}-{id}`).
fn writer_pid(name: &str) -> Option<u32> {
    let rest = name.rsplit_once('-')?.0;
    rest.rsplit_once('-')?.1.parse().ok()
}

/// Whether the process that named an entry may still be writing it.
fn writer_alive(path: &Path, name: &str) -> bool {
    if live().as_ref().is_some_and(|paths| paths.contains(path)) {
        return true;
    }
    match writer_pid(name) {
        // This process's own, not under way: a write of it that failed or was cut short.
        Some(pid) if pid == std::process::id() => false,
        // Where liveness cannot be told (no /proc), another process's entry is left alone.
        Some(pid) => {
            !Path::new("/proc/self").exists() || Path::new("/proc").join(pid.to_string()).exists()
        }
        None => false,
    }
}

/// Brings `target` to a committed state: finishes dead writers' commits, then removes their
/// staging and restores or removes data they moved aside.
pub fn recover(target: &Path) -> std::io::Result<()> {
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Ok(());
    };
    let prefix = format!(".{}.ember-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    }) else {
        return Ok(());
    };
    let mut journals = Vec::new();
    let mut leftovers = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let path = entry.path();
        if writer_alive(&path, &file_name) {
            continue;
        }
        if rest.starts_with("commit-") {
            journals.push(path);
        } else {
            leftovers.push((rest.starts_with("old-"), path));
        }
    }
    for journal in journals {
        if let Some((staging, plan)) = read_journal(&journal) {
            roll_forward(target, &staging, &plan)?;
        }
        std::fs::remove_file(&journal)?;
    }
    for (is_old, path) in leftovers {
        if !path.exists() {
            continue;
        }
        if is_old && !target.exists() {
            std::fs::rename(&path, target)?;
        } else {
            remove_any(&path)?;
        }
    }
    Ok(())
}

/// [`recover`] for every target with leftovers directly under `directory` (a database
/// directory of the warehouse, say).
pub fn recover_children(directory: &Path) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Ok(());
    };
    let mut targets = HashSet::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some((target, _)) = name
            .strip_prefix('.')
            .and_then(|rest| rest.split_once(".ember-"))
        {
            targets.insert(directory.join(target));
        }
    }
    for target in targets {
        recover(&target)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn scratch(name: &str) -> std::io::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!("ember-commit-{name}-{:x}", rand_id()));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn write(path: &Path, text: &str) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)
    }

    fn listing(dir: &Path) -> std::io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        Ok(names)
    }

    #[test]
    fn a_replace_cut_between_its_renames_is_finished() -> TestResult {
        let root = scratch("replace")?;
        let target = root.join("t");
        write(&target.join("old.parquet"), "old")?;
        let staging = staging_for(&target).path().to_path_buf();
        write(&staging.join("new.parquet"), "new")?;
        let aside = aside_for(&target).path().to_path_buf();
        let plan = CommitPlan::Replace {
            aside: aside.clone(),
        };
        // The writer dies after moving the old data aside: the journal stays behind.
        drop(Commit::begin(&target, &staging, &plan)?);
        std::fs::rename(&target, &aside)?;
        recover(&target)?;
        assert_eq!(listing(&target)?, vec!["new.parquet"]);
        assert_eq!(listing(&root)?, vec!["t"]);
        Ok(std::fs::remove_dir_all(root)?)
    }

    #[test]
    fn a_merge_cut_halfway_moves_the_rest() -> TestResult {
        let root = scratch("merge")?;
        let target = root.join("t");
        write(&target.join("p=1/a.parquet"), "old")?;
        let staging = staging_for(&target).path().to_path_buf();
        write(&staging.join("p=1/b.parquet"), "new")?;
        write(&staging.join("p=2/c.parquet"), "new")?;
        drop(Commit::begin(&target, &staging, &CommitPlan::Merge)?);
        // One partition made it before the crash.
        std::fs::create_dir_all(target.join("p=2"))?;
        std::fs::rename(staging.join("p=2/c.parquet"), target.join("p=2/c.parquet"))?;
        recover(&target)?;
        assert_eq!(
            listing(&target.join("p=1"))?,
            vec!["a.parquet", "b.parquet"]
        );
        assert_eq!(listing(&target.join("p=2"))?, vec!["c.parquet"]);
        assert_eq!(listing(&root)?, vec!["t"]);
        Ok(std::fs::remove_dir_all(root)?)
    }

    #[test]
    fn leftovers_without_a_journal_are_dropped_or_put_back() -> TestResult {
        let root = scratch("leftovers")?;
        let target = root.join("t");
        // A write that never committed, and old data whose replacement never arrived.
        let staging = staging_for(&target).path().to_path_buf();
        write(&staging.join("half.parquet"), "partial")?;
        let aside = aside_for(&target).path().to_path_buf();
        write(&aside.join("old.parquet"), "old")?;
        recover(&target)?;
        assert_eq!(listing(&target)?, vec!["old.parquet"]);
        assert_eq!(listing(&root)?, vec!["t"]);
        Ok(std::fs::remove_dir_all(root)?)
    }

    #[test]
    fn work_under_way_is_left_alone() -> TestResult {
        let root = scratch("live")?;
        let target = root.join("t");
        write(&target.join("old.parquet"), "old")?;
        let staging = staging_for(&target);
        write(&staging.path().join("new.parquet"), "new")?;
        recover(&target)?;
        assert!(staging.path().join("new.parquet").exists());
        drop(staging);
        recover(&target)?;
        assert_eq!(listing(&root)?, vec!["t"]);
        Ok(std::fs::remove_dir_all(root)?)
    }
}
