//! Ember's unresolved plan: what a Spark program asked for, before any name is looked up.
//!
//! Both front ends produce it: `ember-connect` converts Spark Connect protocol messages and
//! `ember-sql` parses Spark SQL text. `ember-resolve` then analyzes it once into a DataFusion
//! logical plan. The types use Spark's own words (relations, expressions, data types,
//! literals) and know nothing of protobuf or DataFusion.

mod data_type;
mod expression;
mod function_definition;
mod literal;
mod ml;
mod plan;
mod statement;

pub use data_type::{DataType, StructField, UserDefinedType};
pub use expression::{
    Expr, FrameBoundary, FrameKind, NullOrdering, PythonUdf, SortDirection, SortOrder,
    SubqueryKind, WindowFrame,
};
pub use function_definition::{FunctionParameter, SqlFunction};
pub use literal::Literal;
pub use ml::{
    MlArgument, MlCommand, MlMethod, MlOperator, MlOperatorKind, MlParams, MlRelation,
    MlTransformer,
};
pub use plan::{
    GroupBy, GroupType, JoinType, Pivot, Plan, ReadSource, Relation, SaveMode, Select,
    SetOperationKind, TableWrite, TableWriteMode, WriteOperation,
};
pub use statement::{FunctionScope, ShowKind, Statement, TableChange, TableDefinition};
