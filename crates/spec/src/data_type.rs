/// A Spark SQL data type.
#[derive(Debug, Clone, PartialEq)]
pub enum DataType {
    Null,
    Boolean,
    Byte,
    Short,
    Integer,
    Long,
    Float,
    Double,
    Decimal {
        precision: u8,
        scale: i8,
    },
    String,
    Char(u32),
    Varchar(u32),
    Binary,
    Date,
    Timestamp,
    TimestampNtz,
    /// Time of day with `precision` fractional second digits (0 to 6).
    Time(u8),
    DayTimeInterval,
    YearMonthInterval,
    CalendarInterval,
    Array {
        element: Box<DataType>,
        contains_null: bool,
    },
    Map {
        key: Box<DataType>,
        value: Box<DataType>,
        value_contains_null: bool,
    },
    Struct(Vec<StructField>),
    /// Semi-structured values (`parse_json`).
    Variant,
    /// A user-defined type (`pyspark.ml.linalg.VectorUDT`): stored as `sql_type`, known to
    /// clients by its class names.
    Udt(Box<UserDefinedType>),
    /// A type given as DDL text (`"a INT, b STRING"`), parsed by the analyzer's caller.
    Unparsed(String),
}

/// A user-defined type's identity and storage.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDefinedType {
    /// The JVM class, `org.apache.spark.ml.linalg.VectorUDT`.
    pub jvm_class: Option<String>,
    /// The Python class clients rebuild values with, `pyspark.ml.linalg.VectorUDT`.
    pub python_class: Option<String>,
    pub sql_type: DataType,
}

/// One field of a struct type or of a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct StructField {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
    /// Spark's field metadata, as the JSON object text Spark sends and shows.
    pub metadata: Option<String>,
}

impl DataType {
    /// Spark's short SQL name of the type, as `DataType.simpleString` prints it.
    pub fn simple_string(&self) -> String {
        match self {
            DataType::Null => "void".into(),
            DataType::Boolean => "boolean".into(),
            DataType::Byte => "tinyint".into(),
            DataType::Short => "smallint".into(),
            DataType::Integer => "int".into(),
            DataType::Long => "bigint".into(),
            DataType::Float => "float".into(),
            DataType::Double => "double".into(),
            DataType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            DataType::String => "string".into(),
            DataType::Char(n) => format!("char({n})"),
            DataType::Varchar(n) => format!("varchar({n})"),
            DataType::Binary => "binary".into(),
            DataType::Date => "date".into(),
            DataType::Timestamp => "timestamp".into(),
            DataType::TimestampNtz => "timestamp_ntz".into(),
            DataType::Time(precision) => format!("time({precision})"),
            DataType::DayTimeInterval => "interval day to second".into(),
            DataType::YearMonthInterval => "interval year to month".into(),
            DataType::CalendarInterval => "interval".into(),
            DataType::Array { element, .. } => format!("array<{}>", element.simple_string()),
            DataType::Map { key, value, .. } => {
                format!("map<{},{}>", key.simple_string(), value.simple_string())
            }
            DataType::Struct(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}:{}", f.name, f.data_type.simple_string()))
                    .collect();
                format!("struct<{}>", inner.join(","))
            }
            DataType::Variant => "variant".into(),
            DataType::Udt(udt) => udt.simple_string(),
            DataType::Unparsed(text) => text.clone(),
        }
    }

    /// `simple_string` with struct field names in backquotes where they are not plain
    /// identifiers (`struct<`odd col`:int>`), so the text parses back to the same type.
    pub fn ddl_string(&self) -> String {
        match self {
            DataType::Array { element, .. } => format!("array<{}>", element.ddl_string()),
            DataType::Map { key, value, .. } => {
                format!("map<{},{}>", key.ddl_string(), value.ddl_string())
            }
            DataType::Struct(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}:{}", quoted_name(&f.name), f.data_type.ddl_string()))
                    .collect();
                format!("struct<{}>", inner.join(","))
            }
            other => other.simple_string(),
        }
    }

    /// The upper-case form Spark uses inside `CAST(x AS INT)` column names.
    pub fn sql_name(&self) -> String {
        match self {
            DataType::Array { element, .. } => format!("ARRAY<{}>", element.sql_name()),
            DataType::Map { key, value, .. } => {
                format!("MAP<{}, {}>", key.sql_name(), value.sql_name())
            }
            DataType::Struct(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.data_type.sql_name()))
                    .collect();
                format!("STRUCT<{}>", inner.join(", "))
            }
            DataType::DayTimeInterval => "INTERVAL DAY TO SECOND".into(),
            DataType::YearMonthInterval => "INTERVAL YEAR TO MONTH".into(),
            other => other.simple_string().to_uppercase(),
        }
    }
}

/// A field name as DDL text: plain identifiers as they are, others in backquotes.
fn quoted_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

impl UserDefinedType {
    /// Spark prints a UDT by its own short name (`vector`), else by its storage type.
    fn simple_string(&self) -> String {
        match self.python_class.as_deref().or(self.jvm_class.as_deref()) {
            Some(class) if class.ends_with("VectorUDT") => "vector".into(),
            Some(class) if class.ends_with("MatrixUDT") => "matrix".into(),
            _ => self.sql_type.simple_string(),
        }
    }
}
