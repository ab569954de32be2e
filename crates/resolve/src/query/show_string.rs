//! `df.show()` and the notebook HTML form: the server renders the text.

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema};
use datafusion::logical_expr::LogicalPlan;

use super::columns::input_columns;
use crate::error::ResolveResult;
use crate::show::{cell_text, format_batches_as_show_string, ShowOptions};
use crate::Resolver;

impl Resolver<'_> {
    pub(crate) async fn resolve_query_show_string(
        &self,
        input: LogicalPlan,
        num_rows: usize,
        truncate: usize,
        vertical: bool,
        html: bool,
    ) -> ResolveResult<LogicalPlan> {
        let names: Vec<String> = input_columns(&input).into_iter().map(|n| n.name).collect();
        let input = self.wall_clock_timestamps(input)?;
        // The first rows in partition order, as Spark's show() takes them; a LIMIT here
        // would merge partitions in whatever order they finish.
        let batches = self.first_rows_in_order(input, num_rows + 1).await?;
        let (column, text) = if html {
            (
                "html_string",
                html_table(&names, &batches, num_rows, truncate),
            )
        } else {
            let options = ShowOptions {
                num_rows,
                truncate,
                vertical,
            };
            (
                "show_string",
                format_batches_as_show_string(&names, &batches, options),
            )
        };
        let schema = Arc::new(Schema::new(vec![Field::new(
            column,
            ArrowType::Utf8,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![text]))],
        )?;
        self.scan_batches(schema, vec![batch])
    }
}

impl Resolver<'_> {
    /// Timestamps show as wall clocks in the session time zone.
    fn wall_clock_timestamps(&self, input: LogicalPlan) -> ResolveResult<LogicalPlan> {
        use datafusion::common::Column;
        use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
        let zoned = |t: &ArrowType| matches!(t, ArrowType::Timestamp(_, Some(_)));
        if !input.schema().fields().iter().any(|f| zoned(f.data_type())) {
            return Ok(input);
        }
        let mut exprs = Vec::new();
        for (qualifier, field) in input.schema().iter() {
            let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            if zoned(field.data_type()) {
                let local = self.call_catalog(
                    ember_functions::LOCAL_TIME,
                    vec![column],
                    std::slice::from_ref(field.data_type()),
                )?;
                exprs.push(local.alias_qualified(qualifier.cloned(), field.name()));
            } else {
                exprs.push(column);
            }
        }
        Ok(LogicalPlanBuilder::from(input).project(exprs)?.build()?)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html_table(
    names: &[String],
    batches: &[RecordBatch],
    num_rows: usize,
    truncate: usize,
) -> String {
    let mut out = String::from("<table border='1'>\n<tr>");
    for name in names {
        out.push_str(&format!("<th>{}</th>", escape(name)));
    }
    out.push_str("</tr>\n");
    let mut shown = 0;
    let mut more = false;
    for batch in batches {
        for row in 0..batch.num_rows() {
            if shown == num_rows {
                more = true;
                break;
            }
            out.push_str("<tr>");
            for column in batch.columns() {
                let mut text = cell_text(column, row).unwrap_or_else(|| "NULL".into());
                if truncate > 0 && text.chars().count() > truncate {
                    text = text
                        .chars()
                        .take(truncate.saturating_sub(3))
                        .collect::<String>()
                        + "...";
                }
                out.push_str(&format!("<td>{}</td>", escape(&text)));
            }
            out.push_str("</tr>\n");
            shown += 1;
        }
    }
    out.push_str("</table>\n");
    if more {
        out.push_str(&format!(
            "only showing top {num_rows} {}\n",
            if num_rows == 1 { "row" } else { "rows" }
        ));
    }
    out
}
