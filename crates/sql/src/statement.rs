//! Statements: `spark.sql` text that is not a query changes or shows the catalog or the
//! session. Spark's free-form `SET key=value` and `RESET` are read before the parser sees
//! them, since their values are not SQL.

use datafusion::sql::sqlparser::ast::{
    self, HiveDistributionStyle, HiveIOFormat, ObjectType, ShowStatementFilter,
    ShowStatementFilterPosition, SqlOption, Use,
};
use datafusion::sql::sqlparser::parser::Parser;
use ember_spec::{DataType, ShowKind, Statement, StructField, TableDefinition};

use crate::converter::{Converter, Parameters};
use crate::dialect::SparkDialect;
use crate::error::unsupported;
use crate::expression::object_name;
use crate::statement_text::{
    cache_maintenance, describe_without_keyword, set_or_reset, strip_global_view,
    take_partition_columns, take_table_options,
};
use crate::{parse_data_type, SqlError, SqlResult};

/// Parses one statement of `spark.sql(text)`, with the values of its parameter markers.
pub fn parse_statement(text: &str, parameters: Parameters) -> SqlResult<Statement> {
    let trimmed = text.trim().trim_end_matches(';').trim();
    if let Some(statement) = set_or_reset(trimmed).or_else(|| cache_maintenance(trimmed)) {
        return Ok(statement);
    }
    if let Some(statement) = crate::alter_table::table_maintenance(trimmed)? {
        return Ok(statement);
    }
    if let Some(statement) = crate::function_statement::function_statement(trimmed)? {
        return Ok(statement);
    }
    let numbered = crate::converter::number_positional_markers(trimmed);
    let (global_view, text) = strip_global_view(&numbered);
    let text = describe_without_keyword(&text);
    let (text, database_comment) = crate::statement_text::take_database_comment(&text);
    let (text, table_options) = take_table_options(&text)?;
    let (text, table_properties) = crate::statement_text::take_table_properties(&text)?;
    let (text, partition_columns) = take_partition_columns(&text)?;
    let (text, recursion_levels) = crate::statement_text::take_recursion_levels(&text)?;
    let dialect = SparkDialect;
    let text = crate::string_literals::spark_string_literals(&text).into_owned();
    let parsed = Parser::new(&dialect)
        .try_with_sql(&text)
        .and_then(|mut parser| parser.parse_statements());
    let mut statements = match (parsed, crate::statement_text::values_before_pivot(&text)) {
        (Ok(statements), _) => statements,
        // The parser reads no PIVOT after a bare `FROM VALUES`; in a subquery it does.
        (Err(_), Some(wrapped)) => Parser::new(&dialect)
            .try_with_sql(&wrapped)?
            .parse_statements()?,
        (Err(error), None) => return Err(error.into()),
    };
    let statement = match statements.len() {
        1 => statements.remove(0),
        0 => return Err(SqlError::syntax("end of input", "no statement")),
        _ => return unsupported("several statements in one call"),
    };
    let mut converter = Converter::new(parameters);
    converter.recursion_levels.extend(recursion_levels);
    let mut converted = converter.statement(statement, global_view)?;
    if let Statement::CreateTable(definition) = &mut converted {
        definition.options.extend(table_options);
        definition.properties.extend(table_properties);
        definition.partition_by.extend(partition_columns);
    }
    if let Statement::CreateDatabase { comment, .. } = &mut converted {
        if database_comment.is_some() {
            *comment = database_comment;
        }
    }
    Ok(match converted {
        Statement::Query(plan) => Statement::Query(converter.finish(plan)),
        other => {
            converter.expect_no_references("subqueries in this statement")?;
            other
        }
    })
}

/// Parses a query, as the relation `spark.sql` returns is later run.
pub fn parse_query(text: &str, parameters: Parameters) -> SqlResult<ember_spec::Plan> {
    match parse_statement(text, parameters)? {
        Statement::Query(plan) => Ok(plan),
        _ => unsupported("a statement where a query was expected"),
    }
}

fn single_name(names: &[ast::ObjectName]) -> SqlResult<Vec<String>> {
    match names {
        [name] => Ok(object_name(name)),
        _ => unsupported("several names in one DROP"),
    }
}

fn database_name(name: &ast::ObjectName) -> SqlResult<String> {
    let parts = object_name(name);
    match parts.as_slice() {
        [database] => Ok(database.clone()),
        [catalog, database] if catalog.eq_ignore_ascii_case("spark_catalog") => {
            Ok(database.clone())
        }
        _ => Err(SqlError::Analysis(format!(
            "[REQUIRES_SINGLE_PART_NAMESPACE] spark_catalog requires a single-part namespace, but got `{}`.",
            parts.join("`.`")
        ))),
    }
}

fn like_pattern(filter: Option<ShowStatementFilterPosition>) -> SqlResult<Option<String>> {
    let filter = match filter {
        None => return Ok(None),
        Some(ShowStatementFilterPosition::Infix(f) | ShowStatementFilterPosition::Suffix(f)) => f,
    };
    match filter {
        ShowStatementFilter::Like(p) | ShowStatementFilter::NoKeyword(p) => Ok(Some(p)),
        other => unsupported(format!("SHOW ... {other}")),
    }
}

fn show_in(options: &ast::ShowStatementOptions) -> Option<String> {
    options
        .show_in
        .as_ref()
        .and_then(|i| i.parent_name.as_ref())
        .and_then(|name| object_name(name).last().cloned())
}

fn option_text(value: &ast::Expr) -> String {
    match value {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

fn key_values(options: &[SqlOption]) -> SqlResult<Vec<(String, String)>> {
    options
        .iter()
        .map(|option| match option {
            SqlOption::KeyValue { key, value } => Ok((key.value.clone(), option_text(value))),
            other => unsupported(format!("the table option {other}")),
        })
        .collect()
}

fn column_schema(columns: &[ast::ColumnDef]) -> SqlResult<Option<DataType>> {
    if columns.is_empty() {
        return Ok(None);
    }
    let mut fields = Vec::with_capacity(columns.len());
    for column in columns {
        let not_null = column
            .options
            .iter()
            .any(|o| matches!(o.option, ast::ColumnOption::NotNull));
        fields.push(StructField {
            name: column.name.value.clone(),
            data_type: parse_data_type(&crate::data_type::ast_type_text(&column.data_type))?,
            nullable: !not_null,
            metadata: None,
        });
    }
    Ok(Some(DataType::Struct(fields)))
}

impl Converter {
    fn statement(&mut self, statement: ast::Statement, global_view: bool) -> SqlResult<Statement> {
        use ast::Statement as S;
        Ok(match statement {
            S::Query(query) => Statement::Query(self.query(*query)?),
            S::CreateDatabase {
                db_name,
                if_not_exists,
                location,
                comment,
                ..
            } => Statement::CreateDatabase {
                name: database_name(&db_name)?,
                if_not_exists,
                comment,
                location,
            },
            S::CreateSchema {
                schema_name,
                if_not_exists,
                ..
            } => match schema_name {
                ast::SchemaName::Simple(name) => Statement::CreateDatabase {
                    name: database_name(&name)?,
                    if_not_exists,
                    comment: None,
                    location: None,
                },
                other => return unsupported(format!("CREATE SCHEMA {other}")),
            },
            S::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                ..
            } => match object_type {
                ObjectType::Schema | ObjectType::Database => Statement::DropDatabase {
                    name: database_name(names.first().ok_or_else(|| {
                        SqlError::syntax("end of input", "DROP DATABASE needs a name")
                    })?)?,
                    if_exists,
                    cascade,
                },
                ObjectType::Table => Statement::DropTable {
                    name: single_name(&names)?,
                    if_exists,
                    view: false,
                },
                ObjectType::View => Statement::DropTable {
                    name: single_name(&names)?,
                    if_exists,
                    view: true,
                },
                other => return unsupported(format!("DROP {other}")),
            },
            S::Use(target) => match target {
                Use::Database(name) | Use::Schema(name) | Use::Object(name) => {
                    Statement::UseDatabase {
                        name: database_name(&name)?,
                    }
                }
                other => return unsupported(format!("{other}")),
            },
            S::CreateView(view) => {
                if view.materialized {
                    return unsupported("materialized views");
                }
                let query_text = view.query.to_string();
                let mut query = self.query(*view.query)?;
                if !view.columns.is_empty() {
                    query = ember_spec::Plan::new(ember_spec::Relation::ToDf {
                        input: Box::new(query),
                        names: view.columns.iter().map(|c| c.name.value.clone()).collect(),
                    });
                }
                if !(view.columns.is_empty() || view.temporary || global_view) {
                    return unsupported("column lists on persistent views");
                }
                Statement::CreateView {
                    name: object_name(&view.name),
                    query: self.finish(query),
                    query_text,
                    replace: view.or_replace,
                    if_not_exists: view.if_not_exists,
                    temporary: view.temporary || global_view,
                    global: global_view,
                }
            }
            S::CreateTable(table) => self.create_table(table)?,
            S::Insert(insert) => {
                let table = match insert.table {
                    ast::TableObject::TableName(name) => object_name(&name),
                    other => return unsupported(format!("INSERT INTO {other}")),
                };
                let partition = match insert.partitioned {
                    Some(_) if !insert.columns.is_empty() || !insert.after_columns.is_empty() => {
                        return unsupported("INSERT with both a PARTITION clause and columns")
                    }
                    Some(spec) => spec
                        .into_iter()
                        .map(partition_value)
                        .collect::<SqlResult<_>>()?,
                    None => Vec::new(),
                };
                let columns = insert
                    .columns
                    .iter()
                    .map(|c| object_name(c).join("."))
                    .collect();
                let source = insert
                    .source
                    .ok_or_else(|| SqlError::syntax("end of input", "INSERT needs rows"))?;
                let query = self.query(*source)?;
                Statement::Insert {
                    table,
                    columns,
                    partition,
                    query: self.finish(query),
                    overwrite: insert.overwrite,
                }
            }
            S::Truncate(truncate) => match truncate.table_names.as_slice() {
                [target] => Statement::TruncateTable {
                    name: object_name(&target.name),
                },
                _ => return unsupported("TRUNCATE of several tables"),
            },
            S::ShowDatabases { show_options, .. } | S::ShowSchemas { show_options, .. } => {
                Statement::Show(ShowKind::Databases {
                    pattern: like_pattern(show_options.filter_position)?,
                })
            }
            S::ShowTables { show_options, .. } => {
                let database = show_in(&show_options);
                Statement::Show(ShowKind::Tables {
                    database,
                    pattern: like_pattern(show_options.filter_position)?,
                })
            }
            S::ShowViews { show_options, .. } => {
                let database = show_in(&show_options);
                Statement::Show(ShowKind::Views {
                    database,
                    pattern: like_pattern(show_options.filter_position)?,
                })
            }
            S::ShowColumns { show_options, .. } => {
                let table = show_options
                    .show_in
                    .as_ref()
                    .and_then(|i| i.parent_name.as_ref())
                    .map(object_name)
                    .ok_or_else(|| {
                        SqlError::syntax("end of input", "SHOW COLUMNS needs IN table")
                    })?;
                Statement::Show(ShowKind::Columns { table })
            }
            S::ShowFunctions { filter } => Statement::Show(ShowKind::Functions {
                pattern: match filter {
                    None => None,
                    Some(ShowStatementFilter::Like(p) | ShowStatementFilter::NoKeyword(p)) => {
                        Some(p)
                    }
                    Some(other) => return unsupported(format!("SHOW FUNCTIONS {other}")),
                },
                scope: ember_spec::FunctionScope::All,
            }),
            S::Msck(msck) => Statement::AlterTable {
                name: object_name(&msck.table_name),
                change: ember_spec::TableChange::RecoverPartitions,
            },
            S::ShowCreate { obj_type, obj_name } => match obj_type {
                ast::ShowCreateObject::Table | ast::ShowCreateObject::View => {
                    Statement::Show(ShowKind::CreateTable {
                        table: object_name(&obj_name),
                    })
                }
                other => return unsupported(format!("SHOW CREATE {other}")),
            },
            S::Cache {
                table_name, query, ..
            } => {
                if query.is_some() {
                    return unsupported("CACHE TABLE ... AS SELECT");
                }
                Statement::CacheTable {
                    name: object_name(&table_name),
                }
            }
            S::UNCache {
                table_name,
                if_exists,
            } => Statement::UncacheTable {
                name: object_name(&table_name),
                if_exists,
            },
            S::ExplainTable {
                table_name,
                hive_format,
                ..
            } => Statement::DescribeTable {
                name: object_name(&table_name),
                extended: hive_format.is_some(),
            },
            S::Explain {
                statement,
                verbose,
                analyze,
                describe_alias,
                ..
            } => match *statement {
                S::Query(query) => {
                    let plan = self.query(*query)?;
                    let plan = self.finish(plan);
                    match describe_alias {
                        ast::DescribeAlias::Explain => Statement::Explain {
                            plan,
                            extended: verbose || analyze,
                        },
                        _ => Statement::DescribeQuery(plan),
                    }
                }
                other => return unsupported(format!("EXPLAIN {other}")),
            },
            other => {
                let text = other.to_string();
                let words: Vec<&str> = text.split_whitespace().take(2).collect();
                return unsupported(format!("the statement {}", words.join(" ")));
            }
        })
    }

    fn create_table(&mut self, table: ast::CreateTable) -> SqlResult<Statement> {
        if table.temporary || table.external && table.location.is_none() {
            return unsupported("CREATE TEMPORARY TABLE");
        }
        let mut format = None;
        let mut location = table.location.clone();
        if let Some(hive) = &table.hive_formats {
            match &hive.storage {
                Some(HiveIOFormat::Using { format: f }) => {
                    format = Some(f.value.to_ascii_lowercase())
                }
                Some(HiveIOFormat::FileFormat { format: f }) => {
                    format = Some(f.to_string().to_ascii_lowercase())
                }
                Some(_) => return unsupported("STORED AS INPUTFORMAT ... OUTPUTFORMAT"),
                None => {}
            }
            if hive.location.is_some() {
                location.clone_from(&hive.location);
            }
        }
        let mut partition_by = Vec::new();
        if let HiveDistributionStyle::PARTITIONED { columns } = &table.hive_distribution {
            partition_by.extend(columns.iter().map(|c| c.name.value.clone()));
        }
        let (mut properties, mut options) = (Vec::new(), Vec::new());
        let mut comment = table.comment.clone().map(|c| match c {
            ast::CommentDef::WithEq(s) | ast::CommentDef::WithoutEq(s) => s,
        });
        match &table.table_options {
            ast::CreateTableOptions::None => {}
            ast::CreateTableOptions::TableProperties(list) => properties = key_values(list)?,
            ast::CreateTableOptions::Options(list) | ast::CreateTableOptions::With(list) => {
                options = key_values(list)?
            }
            ast::CreateTableOptions::Plain(list) => {
                for option in list {
                    match option {
                        SqlOption::KeyValue { key, value } => {
                            options.push((key.value.clone(), option_text(value)))
                        }
                        SqlOption::Comment(
                            ast::CommentDef::WithEq(text) | ast::CommentDef::WithoutEq(text),
                        ) => comment = Some(text.clone()),
                        other => return unsupported(format!("the table option {other}")),
                    }
                }
            }
        }
        let query = match table.query {
            Some(query) => {
                let plan = self.query(*query)?;
                Some(self.finish(plan))
            }
            None => None,
        };
        let like = match &table.like {
            Some(ast::CreateTableLikeKind::Parenthesized(like))
            | Some(ast::CreateTableLikeKind::Plain(like)) => Some(object_name(&like.name)),
            None => None,
        };
        Ok(Statement::CreateTable(Box::new(TableDefinition {
            name: object_name(&table.name),
            if_not_exists: table.if_not_exists,
            replace: table.or_replace,
            schema: column_schema(&table.columns)?,
            format,
            partition_by,
            location,
            comment,
            properties,
            options,
            query,
            like,
        })))
    }
}

/// One entry of `PARTITION (p = 'v', q)`: the column, and its static value as text (the
/// write casts it to the column's type).
fn partition_value(entry: ast::Expr) -> SqlResult<(String, Option<String>)> {
    match entry {
        ast::Expr::Identifier(column) => Ok((column.value, None)),
        ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::Eq,
            right,
        } => {
            let ast::Expr::Identifier(column) = *left else {
                return unsupported(format!("the partition entry {left}"));
            };
            Ok((column.value, Some(static_partition_value(*right)?)))
        }
        other => unsupported(format!("the partition entry {other}")),
    }
}

fn static_partition_value(value: ast::Expr) -> SqlResult<String> {
    use ast::Value as V;
    match value {
        ast::Expr::Value(value) => match value.value {
            V::SingleQuotedString(text) | V::DoubleQuotedString(text) => Ok(text),
            V::Number(number, _) => Ok(number
                .trim_end_matches(['L', 'l', 'S', 's', 'Y', 'y'])
                .to_string()),
            V::Boolean(flag) => Ok(flag.to_string()),
            other => unsupported(format!("the partition value {other}")),
        },
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => Ok(format!("-{}", static_partition_value(*expr)?)),
        ast::Expr::TypedString(typed) => match typed.value.value {
            V::SingleQuotedString(text) | V::DoubleQuotedString(text) => Ok(text),
            other => unsupported(format!("the partition value {other}")),
        },
        other => unsupported(format!("the partition value {other}")),
    }
}

#[cfg(test)]
mod tests {
    use ember_spec::{Expr, Literal, Plan, Relation};

    use super::*;

    fn query(text: &str) -> SqlResult<Plan> {
        parse_query(text, Parameters::default())
    }

    #[test]
    fn select_blocks_keep_their_clauses_together() -> SqlResult<()> {
        let plan = query(
            "SELECT a, count(*) FROM t WHERE b > 1 GROUP BY 1 HAVING count(*) > 2 ORDER BY 2",
        )?;
        let Relation::Select(select) = plan.relation else {
            panic!("not a select block: {plan:?}")
        };
        assert!(matches!(
            select.input.as_deref().map(|p| &p.relation),
            Some(Relation::Filter { .. })
        ));
        assert_eq!(select.projection.len(), 2);
        assert!(select.having.is_some());
        assert_eq!(select.order_by[0].child, Expr::Literal(Literal::Integer(2)));
        Ok(())
    }

    #[test]
    fn subqueries_travel_with_their_plans() -> SqlResult<()> {
        let plan = query("SELECT * FROM t WHERE x IN (SELECT y FROM u) AND EXISTS (SELECT 1)")?;
        let Relation::WithRelations { references, .. } = plan.relation else {
            panic!("no subquery plans: {plan:?}")
        };
        let ids: Vec<Option<i64>> = references.iter().map(|r| r.plan_id).collect();
        assert_eq!(ids, vec![Some(-1), Some(-2)]);
        Ok(())
    }

    #[test]
    fn common_table_expressions_are_inlined_by_name() -> SqlResult<()> {
        let plan = query("WITH c AS (SELECT 1 AS one) SELECT one FROM c")?;
        let Relation::Select(select) = plan.relation else {
            panic!("not a select block")
        };
        let input = select.input.map(|p| p.relation);
        assert!(
            matches!(&input, Some(Relation::SubqueryAlias { alias, .. }) if alias == "c"),
            "{input:?}"
        );
        Ok(())
    }

    #[test]
    fn parameters_replace_their_markers() -> SqlResult<()> {
        let mut parameters = Parameters::default();
        parameters
            .named
            .insert("low".into(), Expr::Literal(Literal::Integer(3)));
        parameters.positional = vec![
            Expr::Literal(Literal::Integer(1)),
            Expr::Literal(Literal::Integer(2)),
        ];
        // Markers take values by their place in the text, whatever the clause order.
        let positional = parse_query("SELECT ? FROM t WHERE x > ?", parameters.clone())?;
        let Relation::Select(select) = positional.relation else {
            panic!("not a select block")
        };
        assert_eq!(select.projection, vec![Expr::Literal(Literal::Integer(1))]);
        let plan = parse_query("SELECT * FROM t WHERE x > :low", parameters)?;
        let text = format!("{plan:?}");
        assert!(text.contains("Integer(3)"), "{text}");
        let missing = parse_query("SELECT :nope", Parameters::default());
        assert!(
            matches!(missing, Err(SqlError::Analysis(m)) if m.contains("UNBOUND_SQL_PARAMETER"))
        );
        Ok(())
    }

    #[test]
    fn statements_read_spark_forms() -> SqlResult<()> {
        let set = parse_statement(
            "SET spark.sql.shuffle.partitions = 4",
            Parameters::default(),
        )?;
        assert_eq!(
            set,
            Statement::Set {
                key: Some("spark.sql.shuffle.partitions".into()),
                value: Some("4".into())
            }
        );
        let view = parse_statement(
            "CREATE OR REPLACE GLOBAL TEMPORARY VIEW v AS SELECT 1",
            Parameters::default(),
        )?;
        assert!(matches!(
            view,
            Statement::CreateView {
                global: true,
                temporary: true,
                replace: true,
                ..
            }
        ));
        let table = parse_statement(
            "CREATE TABLE db.t (a INT, b STRING) USING parquet",
            Parameters::default(),
        )?;
        let Statement::CreateTable(definition) = table else {
            panic!("not a table")
        };
        assert_eq!(definition.name, vec!["db".to_string(), "t".to_string()]);
        assert_eq!(definition.format.as_deref(), Some("parquet"));
        assert!(definition.schema.is_some());
        Ok(())
    }

    #[test]
    fn data_source_options_are_read() -> SqlResult<()> {
        let table = parse_statement(
            "CREATE TABLE t (a INT) USING csv OPTIONS (header 'true', 'sep' = ';', path '/x') \
             PARTITIONED BY (a)",
            Parameters::default(),
        )?;
        let Statement::CreateTable(definition) = table else {
            panic!("not a table")
        };
        assert_eq!(
            definition.options,
            vec![
                ("header".to_string(), "true".to_string()),
                ("sep".to_string(), ";".to_string()),
                ("path".to_string(), "/x".to_string())
            ]
        );
        assert_eq!(definition.partition_by, vec!["a".to_string()]);
        Ok(())
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let error = parse_statement("SELECT FROM WHERE", Parameters::default());
        let Err(error) = error else { panic!("parsed") };
        assert!(
            error.to_string().starts_with("[PARSE_SYNTAX_ERROR]"),
            "{error}"
        );
    }
}
