//! Spark's `named_struct` / `struct`: the struct itself is never NULL, as `printSchema()`
//! shows in Spark. Its fields stay nullable: their nullability is part of the struct's
//! type, and DataFusion's kernels (`array`, `coalesce`, unions) need structs built from
//! different values to have one type.

use std::sync::Arc;

use datafusion::arrow::array::StructArray;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    StructFieldMapping, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct NamedStruct {
    signature: Signature,
}

impl NamedStruct {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

/// `named_struct(name1, value1, ...)` with Spark's nullability.
pub fn named_struct(args: Vec<Expr>) -> Expr {
    ScalarUDF::new_from_impl(NamedStruct::new()).call(args)
}

impl ScalarUDFImpl for NamedStruct {
    fn name(&self) -> &str {
        "named_struct"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        plan_err!("named_struct's type comes from its arguments' fields")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let count = args.arg_fields.len();
        if count == 0 || !count.is_multiple_of(2) {
            return plan_err!(
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `named_struct` requires an even number of parameters but the actual number is {count}."
            );
        }
        let mut fields = Vec::with_capacity(count / 2);
        for (i, pair) in args.arg_fields.chunks_exact(2).enumerate() {
            let name = args
                .scalar_arguments
                .get(i * 2)
                .copied()
                .flatten()
                .and_then(|name| name.try_as_str().flatten());
            let Some(name) = name else {
                return plan_err!(
                    "[DATATYPE_MISMATCH.CREATE_NAMED_STRUCT_WITHOUT_FOLDABLE_STRING] Only foldable `STRING` expressions are allowed to appear at odd position in `named_struct`."
                );
            };
            fields.push(Field::new(name, pair[1].data_type().clone(), true));
        }
        Ok(Arc::new(Field::new(
            self.name(),
            DataType::Struct(Fields::from(fields)),
            false,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let DataType::Struct(fields) = args.return_field.data_type() else {
            return exec_err!("named_struct returns a struct");
        };
        let values: Vec<ColumnarValue> = args
            .args
            .chunks_exact(2)
            .map(|pair| pair[1].clone())
            .collect();
        let arrays = ColumnarValue::values_to_arrays(&values)?;
        let array = StructArray::try_new(fields.clone(), arrays, None)?;
        Ok(ColumnarValue::Array(Arc::new(array)))
    }

    fn struct_field_mapping(
        &self,
        literal_args: &[Option<ScalarValue>],
    ) -> Option<StructFieldMapping> {
        // Reading a field of a struct built here reads the value it was built from.
        let mut fields = Vec::with_capacity(literal_args.len() / 2);
        for (i, pair) in literal_args.chunks(2).enumerate() {
            match pair {
                [Some(ScalarValue::Utf8(Some(name))), _] => {
                    fields.push((vec![ScalarValue::Utf8(Some(name.clone()))], i * 2 + 1));
                }
                _ => return None,
            }
        }
        (!fields.is_empty() && literal_args.len().is_multiple_of(2)).then(|| StructFieldMapping {
            field_accessor: Arc::new(ScalarUDF::from(
                datafusion::functions::core::getfield::GetFieldFunc::new(),
            )),
            fields,
        })
    }
}
