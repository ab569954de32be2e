//! Spark's JSON schema of model data, which Spark reads from a Parquet footer
//! (`org.apache.spark.sql.parquet.row.metadata`) to see vectors and matrices as their UDTs.

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use serde_json::{json, Value};

/// The Parquet key-value entry Spark looks for.
pub const ROW_METADATA_KEY: &str = "org.apache.spark.sql.parquet.row.metadata";

fn type_json(data_type: &DataType) -> Value {
    if let Some((jvm, python)) = ember_functions::udt_classes(data_type) {
        let DataType::Struct(fields) = data_type else {
            return Value::Null;
        };
        // The storage struct itself carries no tag.
        let plain: Vec<Value> = fields.iter().map(|f| field_json(f)).collect();
        return json!({
            "type": "udt",
            "class": jvm,
            "pyClass": python,
            "sqlType": {"type": "struct", "fields": plain},
        });
    }
    match data_type {
        DataType::Boolean => json!("boolean"),
        DataType::Int8 => json!("byte"),
        DataType::Int16 => json!("short"),
        DataType::Int32 => json!("integer"),
        DataType::Int64 => json!("long"),
        DataType::Float32 => json!("float"),
        DataType::Float64 => json!("double"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => json!("string"),
        DataType::Binary | DataType::LargeBinary => json!("binary"),
        DataType::List(element) | DataType::LargeList(element) => json!({
            "type": "array",
            "elementType": type_json(element.data_type()),
            "containsNull": element.is_nullable(),
        }),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => json!({
                "type": "map",
                "keyType": type_json(kv[0].data_type()),
                "valueType": type_json(kv[1].data_type()),
                "valueContainsNull": kv[1].is_nullable(),
            }),
            _ => Value::Null,
        },
        DataType::Struct(fields) => json!({
            "type": "struct",
            "fields": fields.iter().map(|f| field_json(f)).collect::<Vec<_>>(),
        }),
        other => json!(other.to_string().to_ascii_lowercase()),
    }
}

fn field_json(field: &Field) -> Value {
    json!({
        "name": field.name(),
        "type": type_json(field.data_type()),
        "nullable": field.is_nullable(),
        "metadata": {},
    })
}

/// `schema` as Spark writes it in JSON.
pub fn schema_json(schema: &Schema) -> String {
    json!({
        "type": "struct",
        "fields": schema.fields().iter().map(|f| field_json(f)).collect::<Vec<_>>(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_written_as_their_udt() {
        let schema = Schema::new(vec![
            Field::new("n", DataType::Int32, false),
            Field::new("v", ember_functions::vector_type(), true),
        ]);
        let value: Value = serde_json::from_str(&schema_json(&schema)).unwrap_or_default();
        assert_eq!(value["fields"][0]["type"], "integer");
        let udt = &value["fields"][1]["type"];
        assert_eq!(udt["type"], "udt");
        assert_eq!(udt["class"], "org.apache.spark.ml.linalg.VectorUDT");
        assert_eq!(udt["sqlType"]["fields"][0]["name"], "type");
        assert_eq!(udt["sqlType"]["fields"][0]["type"], "byte");
        assert_eq!(udt["sqlType"]["fields"][3]["type"]["elementType"], "double");
    }
}
