use crate::DataType;

/// A constant value of a Spark type.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null(DataType),
    Boolean(bool),
    Byte(i8),
    Short(i16),
    Integer(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    /// Unscaled value with its precision and scale.
    Decimal {
        value: i128,
        precision: u8,
        scale: i8,
    },
    String(String),
    Binary(Vec<u8>),
    /// Days since the Unix epoch.
    Date(i32),
    /// Microseconds since the Unix epoch, in UTC.
    Timestamp(i64),
    /// Microseconds since the Unix epoch, wall clock without time zone.
    TimestampNtz(i64),
    /// Nanoseconds since midnight.
    Time(i64),
    /// Microseconds.
    DayTimeInterval(i64),
    /// Months.
    YearMonthInterval(i32),
    Array {
        element_type: DataType,
        elements: Vec<Literal>,
    },
    Map {
        key_type: DataType,
        value_type: DataType,
        keys: Vec<Literal>,
        values: Vec<Literal>,
    },
    Struct {
        fields: Vec<(String, Literal)>,
    },
}
