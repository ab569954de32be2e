//! Rows the client ships itself (`createDataFrame`), as Arrow IPC, with a declared schema.

use std::io::Cursor;
use std::sync::Arc;

use datafusion::arrow::array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::logical_expr::LogicalPlan;
use ember_spec::DataType;

use crate::error::{ResolveError, ResolveResult};
use crate::types::{client_arrow_type, to_arrow};
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) fn resolve_query_local_relation(
        &self,
        arrow_ipc: Option<&[u8]>,
        schema: Option<&DataType>,
    ) -> ResolveResult<LogicalPlan> {
        let declared = match schema {
            Some(DataType::Struct(fields)) => Some(Arc::new(Schema::new(
                fields
                    .iter()
                    .map(|f| Ok(Field::new(&f.name, to_arrow(&f.data_type)?, f.nullable)))
                    .collect::<ResolveResult<Vec<_>>>()?,
            ))),
            Some(other) => Some(Arc::new(Schema::new(vec![Field::new(
                "value",
                to_arrow(other)?,
                true,
            )]))),
            None => None,
        };
        let mut batches = Vec::new();
        let mut data_schema: Option<SchemaRef> = None;
        if let Some(bytes) = arrow_ipc.filter(|b| !b.is_empty()) {
            let reader = StreamReader::try_new(Cursor::new(bytes), None)?;
            data_schema = Some(reader.schema());
            for batch in reader {
                batches.push(batch?);
            }
        }
        let target: SchemaRef = match (&declared, &data_schema) {
            (Some(declared), _) => declared.clone(),
            (None, Some(data)) => Arc::new(Schema::new(
                data.fields()
                    .iter()
                    .map(|f| Field::new(f.name(), client_arrow_type(f.data_type()), true))
                    .collect::<Vec<_>>(),
            )),
            (None, None) => {
                return Err(ResolveError::InvalidArgument(
                    "[CANNOT_INFER_EMPTY_SCHEMA] Can not infer schema from an empty dataset."
                        .into(),
                ))
            }
        };
        let batches = batches
            .into_iter()
            .map(|b| conform(&b, &target))
            .collect::<ResolveResult<Vec<_>>>()?;
        // A declared NOT NULL column stays so unless the rows hold nulls after all.
        let relaxed = Arc::new(Schema::new(
            target
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let has_nulls = batches.iter().any(|b| b.column(i).null_count() > 0);
                    f.as_ref()
                        .clone()
                        .with_nullable(f.is_nullable() || has_nulls)
                })
                .collect::<Vec<_>>(),
        ));
        let batches = batches
            .into_iter()
            .map(|b| RecordBatch::try_new(relaxed.clone(), b.columns().to_vec()))
            .collect::<Result<Vec<_>, _>>()?;
        self.scan_batches(relaxed, batches)
    }
}

/// Casts a batch's columns, by position, to the declared schema's types and names.
fn conform(batch: &RecordBatch, target: &SchemaRef) -> ResolveResult<RecordBatch> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(target.fields().len());
    for (index, field) in target.fields().iter().enumerate() {
        let column = match batch.columns().get(index) {
            Some(column) if column.data_type() == field.data_type() => column.clone(),
            Some(column) => cast(column, field.data_type())?,
            None => new_null_array(field.data_type(), batch.num_rows()),
        };
        columns.push(column);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    let relaxed = Arc::new(Schema::new(
        target
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    Ok(RecordBatch::try_new_with_options(
        relaxed, columns, &options,
    )?)
}
