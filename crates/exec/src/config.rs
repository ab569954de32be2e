//! Spark SQL configuration values of one session.

use std::collections::BTreeMap;

/// Keys a session starts with; everything else is unset until the client sets it.
const DEFAULTS: &[(&str, &str)] = &[
    ("spark.sql.ansi.enabled", "true"),
    ("spark.sql.caseSensitive", "false"),
    ("spark.sql.session.timeZone", "UTC"),
    ("spark.sql.shuffle.partitions", "200"),
    ("spark.app.name", "ember"),
    ("spark.master", "local[*]"),
    ("spark.sql.timestampType", "TIMESTAMP_LTZ"),
    // Building a map with a repeated key fails, as in Spark by default.
    ("spark.sql.mapKeyDedupPolicy", "EXCEPTION"),
    // Ember does not accept compressed plans; the client then sends them as they are.
    ("spark.connect.session.planCompression.threshold", "-1"),
    (
        "spark.connect.session.planCompression.defaultAlgorithm",
        "NONE",
    ),
    // Rows shipped by createDataFrame stay inline up to this size.
    (
        "spark.sql.session.localRelationCacheThreshold",
        "1073741824",
    ),
    // Read by 4.2 clients before every createDataFrame; Spark's default, 3 GiB.
    ("spark.sql.session.localRelationSizeLimit", "3221225472"),
    ("spark.sql.session.localRelationChunkSizeRows", "10000"),
    ("spark.sql.session.localRelationChunkSizeBytes", "16777216"),
    (
        "spark.sql.session.localRelationBatchOfChunksSizeBytes",
        "1073741824",
    ),
    (
        "spark.sql.execution.pandas.convertToArrowArraySafely",
        "false",
    ),
    ("spark.sql.execution.pandas.inferPandasDictAsMap", "false"),
    ("spark.sql.execution.pandas.structHandlingMode", "legacy"),
    ("spark.sql.execution.pyspark.binaryAsBytes", "true"),
    ("spark.sql.execution.arrow.useLargeVarTypes", "false"),
    ("spark.sql.execution.arrow.pyspark.enabled", "true"),
    (
        "spark.sql.execution.arrow.pyspark.selfDestruct.enabled",
        "false",
    ),
    ("spark.sql.execution.pythonUDF.arrow.enabled", "false"),
    ("spark.sql.execution.pythonUDTF.arrow.enabled", "false"),
    ("spark.sql.pyspark.inferNestedDictAsStruct.enabled", "false"),
    (
        "spark.sql.pyspark.legacy.inferArrayTypeFromFirstElement.enabled",
        "false",
    ),
    (
        "spark.sql.pyspark.legacy.inferMapTypeFromFirstPair.enabled",
        "false",
    ),
    ("spark.sql.pyspark.jvmStacktrace.enabled", "false"),
    ("spark.sql.connect.serverStacktrace.enabled", "false"),
    ("spark.sql.repl.eagerEval.enabled", "false"),
    ("spark.sql.repl.eagerEval.maxNumRows", "20"),
    ("spark.sql.repl.eagerEval.truncate", "20"),
    ("spark.sql.leafNodeDefaultParallelism", "2"),
    ("spark.sql.cteRecursionLevelLimit", "100"),
];

/// Settings whose change takes effect only at start-up; setting them later is refused.
const STATIC_PREFIXES: &[&str] = &["spark.driver.", "spark.executor.", "spark.master"];

#[derive(Debug, Clone)]
pub struct SessionConfigValues {
    values: BTreeMap<String, String>,
}

impl Default for SessionConfigValues {
    fn default() -> Self {
        let values = DEFAULTS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SessionConfigValues { values }
    }
}

impl SessionConfigValues {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.values.insert(key.to_string(), value.to_string());
    }

    pub fn unset(&mut self, key: &str) {
        self.values.remove(key);
    }

    pub fn all(&self) -> impl Iterator<Item = (&String, &String)> {
        self.values.iter()
    }

    pub fn is_modifiable(key: &str) -> bool {
        !STATIC_PREFIXES.iter().any(|p| key.starts_with(p))
    }
}

/// A Spark duration setting (`2s`, `500ms`, `1min`; a bare number is milliseconds); None
/// for a negative one, which turns the feature off, or text that is not a duration.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim().to_ascii_lowercase();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    if number < 0.0 {
        return None;
    }
    let millis = match unit.trim() {
        "" | "ms" => number,
        "s" => number * 1000.0,
        "m" | "min" => number * 60_000.0,
        "h" => number * 3_600_000.0,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(millis as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_spark_writes_them() {
        use std::time::Duration;
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("750"), Some(Duration::from_millis(750)));
        assert_eq!(parse_duration("1min"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn defaults_follow_spark_4() {
        let mut config = SessionConfigValues::default();
        assert_eq!(config.get("spark.sql.ansi.enabled"), Some("true"));
        config.set("a.b", "1");
        assert_eq!(config.get("a.b"), Some("1"));
        config.unset("a.b");
        assert_eq!(config.get("a.b"), None);
        assert!(!SessionConfigValues::is_modifiable("spark.executor.memory"));
    }
}
