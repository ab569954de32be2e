//! Parquet files that cannot be read: named in Spark's `FAILED_READ_FILE` error instead of
//! the reader's bare message, or skipped under `spark.sql.files.ignoreCorruptFiles`.

use std::path::{Path, PathBuf};

use datafusion::parquet::file::metadata::ParquetMetaDataReader;

/// The local data files a path names: the file itself, or the visible files below a
/// directory (skipping the hidden and `_`-prefixed names Spark skips).
fn data_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && !name.starts_with('_')
        })
        .flat_map(|entry| data_files(&entry.path()))
        .collect();
    files.sort();
    files
}

fn local(path: &str) -> &Path {
    Path::new(path.strip_prefix("file://").unwrap_or(path))
}

/// Whether a Parquet file's footer reads: its magic bytes and metadata are whole.
fn footer_reads(file: &Path) -> bool {
    std::fs::File::open(file)
        .ok()
        .is_some_and(|f| ParquetMetaDataReader::new().parse_and_finish(&f).is_ok())
}

/// The first local Parquet file under `paths` whose footer does not read.
pub(super) fn first_corrupt_parquet(paths: &[String]) -> Option<PathBuf> {
    paths
        .iter()
        .flat_map(|path| data_files(local(path)))
        .find(|file| !footer_reads(file))
}

/// `paths` without their corrupt Parquet files: directories become their readable files.
/// Paths that are not local are kept as they are.
pub(super) fn without_corrupt_parquet(paths: Vec<String>) -> Vec<String> {
    paths
        .into_iter()
        .flat_map(|path| {
            let files = data_files(local(&path));
            if files.is_empty() {
                return vec![path];
            }
            files
                .into_iter()
                .filter(|file| footer_reads(file))
                .map(|file| file.to_string_lossy().to_string())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_files_are_found_and_skipped() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("ember-corrupt-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("bad.parquet"), b"PAR1 not really")?;
        std::fs::write(dir.join("_SUCCESS"), b"")?;
        let paths = vec![dir.to_string_lossy().to_string()];
        assert_eq!(first_corrupt_parquet(&paths), Some(dir.join("bad.parquet")));
        assert!(without_corrupt_parquet(paths).is_empty());
        std::fs::remove_dir_all(&dir)
    }
}
