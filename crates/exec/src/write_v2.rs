//! `df.writeTo(table)` (DataFrameWriterV2): create, replace, append and overwrite a catalog
//! table, with its rows matched to the table's columns by name, as Spark's V2 writes do.

use ember_spec::{
    Expr, Literal, Plan, Relation, SaveMode, TableWrite, TableWriteMode, WriteOperation,
};

use crate::statements::table_read;
use crate::{ExecError, ExecResult, Session, TableEntry, TableKind};

impl Session {
    pub async fn write_table(&self, write: TableWrite) -> ExecResult<()> {
        let store = self.catalog_store();
        let warehouse = self.warehouse();
        let existing = store.get(&write.table)?;
        if existing.as_ref().is_some_and(|e| e.kind == TableKind::View) {
            return Err(ExecError::Analysis(format!(
                "[EXPECT_TABLE_NOT_VIEW.NO_ALTERNATIVE] The table {} is a view; write into a table instead.",
                warehouse.display_name(&write.table)
            )));
        }
        let missing = || {
            ExecError::from(ember_resolve::ResolveError::TableNotFound(
                warehouse.display_name(&write.table),
            ))
        };
        match (write.mode, existing) {
            (TableWriteMode::Create, Some(_)) => Err(ExecError::TableAlreadyExists(
                warehouse.display_name(&write.table),
            )),
            (TableWriteMode::Create | TableWriteMode::CreateOrReplace, None) => {
                self.create_table_from(write).await
            }
            (TableWriteMode::Replace, None) => Err(ExecError::Analysis(format!(
                "[CANNOT_REPLACE_MISSING_TABLE] Table or view {} cannot be replaced as it does not exist. Use CREATE OR REPLACE TABLE to create the table.",
                warehouse.display_name(&write.table)
            ))),
            (TableWriteMode::Replace | TableWriteMode::CreateOrReplace, Some(entry)) => {
                self.replace_table(write, entry).await
            }
            (_, None) => Err(missing()),
            (TableWriteMode::Append, Some(_)) => {
                let input = self.by_name(&write.table, write.input.clone()).await?;
                self.write(insert(write, input, SaveMode::Append)).await
            }
            (TableWriteMode::OverwritePartitions, Some(_)) => {
                let input = self.by_name(&write.table, write.input.clone()).await?;
                let mut operation = insert(write, input, SaveMode::Overwrite);
                operation.overwrite_written_partitions = true;
                self.write(operation).await
            }
            (TableWriteMode::Overwrite, Some(_)) => self.overwrite_where(write).await,
        }
    }

    /// The input's columns put in the table's order by name; table columns the input lacks
    /// are NULL.
    async fn by_name(&self, table: &[String], input: Plan) -> ExecResult<Plan> {
        let plan = self.logical_plan(input.clone()).await?;
        let columns: Vec<String> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        self.insert_by_name(table, &columns, input).await
    }

    async fn create_table_from(&self, write: TableWrite) -> ExecResult<()> {
        let properties = write.properties.clone();
        let table = write.table.clone();
        let mut operation = WriteOperation::new(write.input);
        operation.format = self.provider_or_default(write.provider);
        operation.table = Some(table.clone());
        operation.partition_by = write.partition_by;
        operation.options = write.options;
        self.write(operation).await?;
        if properties.is_empty() {
            return Ok(());
        }
        let store = self.catalog_store();
        if let Some(mut entry) = store.get(&table)? {
            entry.properties = properties;
            store.put(&entry)?;
        }
        Ok(())
    }

    /// The new rows and definition take the table's place at once: the files are swapped in
    /// by the atomic writer, then the catalog entry is rewritten.
    async fn replace_table(&self, write: TableWrite, old: TableEntry) -> ExecResult<()> {
        let store = self.catalog_store();
        let format = self.provider_or_default(write.provider);
        let schema = self
            .logical_plan(write.input.clone())
            .await?
            .schema()
            .clone();
        let mut operation = WriteOperation::new(write.input);
        operation.path = Some(store.data_path(&old)?.display().to_string());
        operation.format = format.clone();
        operation.mode = SaveMode::Overwrite;
        operation.partition_by = write.partition_by.clone();
        operation.options = write.options.clone();
        self.write(operation).await?;
        let declared = ember_resolve::from_arrow(&datafusion::arrow::datatypes::DataType::Struct(
            schema.as_arrow().fields().clone(),
        ));
        store.put(&TableEntry {
            format: format.to_ascii_lowercase(),
            schema: write.partition_by.is_empty().then(|| declared.ddl_string()),
            partition_by: write.partition_by,
            options: write.options,
            properties: write.properties,
            ..old
        })
    }

    /// `overwrite(condition)`: the old rows the condition does not hold for, then the new ones.
    async fn overwrite_where(&self, write: TableWrite) -> ExecResult<()> {
        let condition = write
            .overwrite_condition
            .clone()
            .unwrap_or(Expr::Literal(Literal::Boolean(true)));
        let kept = Plan::new(Relation::Filter {
            input: Box::new(table_read(write.table.clone())),
            condition: function(
                "not",
                vec![function(
                    "coalesce",
                    vec![condition, Expr::Literal(Literal::Boolean(false))],
                )],
            ),
        });
        let added = self.by_name(&write.table, write.input.clone()).await?;
        let rows = Plan::new(Relation::SetOperation {
            left: Box::new(kept),
            right: Box::new(added),
            kind: ember_spec::SetOperationKind::Union,
            is_all: true,
            by_name: false,
            allow_missing_columns: false,
        });
        let mut operation = WriteOperation::new(rows);
        operation.table = Some(write.table);
        operation.mode = SaveMode::Overwrite;
        self.write(operation).await
    }

    /// `using(...)`, or `spark.sql.sources.default` (parquet).
    fn provider_or_default(&self, provider: Option<String>) -> String {
        provider.unwrap_or_else(|| {
            self.with_config(|c| {
                c.get("spark.sql.sources.default")
                    .unwrap_or("parquet")
                    .to_string()
            })
        })
    }
}

fn function(name: &str, arguments: Vec<Expr>) -> Expr {
    Expr::Function {
        name: name.into(),
        arguments,
        is_distinct: false,
    }
}

/// An insert of `input`, already in the table's column order.
fn insert(write: TableWrite, input: Plan, mode: SaveMode) -> WriteOperation {
    let mut operation = WriteOperation::new(input);
    operation.table = Some(write.table);
    operation.insert_into = true;
    operation.mode = mode;
    operation.options = write.options;
    operation
}
