//! `SHOW CREATE TABLE`: the DDL that recreates a catalog table or persistent view, laid out
//! as Spark prints it.

use ember_resolve::ResolveError;

use crate::statements::table_read;
use crate::{ExecResult, Session, TableKind};

impl Session {
    pub(crate) async fn create_table_text(&self, name: &[String]) -> ExecResult<String> {
        let warehouse = self.warehouse();
        let entry = self
            .catalog_store()
            .get(name)?
            .ok_or_else(|| ResolveError::TableNotFound(warehouse.display_name(name)))?;
        let qualified = format!("spark_catalog.{}.{}", entry.database, entry.name);
        let plan = self.logical_plan(table_read(name.to_vec())).await?;
        let fields = plan.schema().fields().clone();
        if entry.kind == TableKind::View {
            let columns: Vec<String> = fields.iter().map(|f| quoted(f.name())).collect();
            return Ok(format!(
                "CREATE VIEW {}.{} (\n  {})\nWITH SCHEMA COMPENSATION\nAS {}\n",
                entry.database,
                entry.name,
                columns.join(",\n  "),
                entry.view_text.clone().unwrap_or_default()
            ));
        }
        let columns: Vec<String> = fields
            .iter()
            .map(|f| {
                // Columns of file-based tables are always nullable, so no NOT NULL.
                let data_type = ember_resolve::from_arrow(f.data_type()).sql_name();
                format!("{} {data_type}", quoted(f.name()))
            })
            .collect();
        let mut text = format!(
            "CREATE TABLE {qualified} (\n  {})\nUSING {}\n",
            columns.join(",\n  "),
            entry.format
        );
        if !entry.options.is_empty() {
            text.push_str(&format!("OPTIONS (\n  {})\n", pairs(&entry.options)));
        }
        if !entry.partition_by.is_empty() {
            let columns: Vec<String> = entry.partition_by.iter().map(|c| quoted(c)).collect();
            text.push_str(&format!("PARTITIONED BY ({})\n", columns.join(", ")));
        }
        if let Some(comment) = &entry.comment {
            text.push_str(&format!("COMMENT '{}'\n", escaped(comment)));
        }
        if entry.kind == TableKind::External {
            let location = self.catalog_store().data_path(&entry)?;
            text.push_str(&format!("LOCATION 'file:{}'\n", location.display()));
        }
        if !entry.properties.is_empty() {
            let mut properties = entry.properties.clone();
            properties.sort();
            text.push_str(&format!("TBLPROPERTIES (\n  {})\n", pairs(&properties)));
        }
        Ok(text)
    }
}

/// A name in backquotes when it is not a plain identifier.
fn quoted(name: &str) -> String {
    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain && !name.is_empty() {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

fn escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "\\'")
}

/// `'k' = 'v'` pairs, one per line.
fn pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("'{}' = '{}'", escaped(k), escaped(v)))
        .collect::<Vec<_>>()
        .join(",\n  ")
}
