//! `to_number` / `try_to_number` (text to a decimal) and `to_char` / `to_varchar` (a decimal
//! to text) with Spark's number formats: `0`/`9` digits, `.`/`D` the decimal point, `,`/`G`
//! grouping, `$`, a sign as `S` (first or last) or `MI` (last), and `PR` (negatives in angle
//! brackets). The format fixes the decimal type: one digit of precision per `0`/`9`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// Where a format puts the sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignStyle {
    None,
    /// `S` first: `+` or `-` before the number.
    Leading,
    /// `S` last: `+` or `-` after it.
    Trailing,
    /// `MI` last: `-` after a negative number, a space after others.
    Minus,
    /// `PR` last: a negative number in `<` `>`.
    Brackets,
}

/// One piece of a format, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A `0` or `9` position.
    Digit {
        zero: bool,
    },
    Point,
    Group,
    Dollar,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberFormat {
    text: String,
    pieces: Vec<Piece>,
    sign: SignStyle,
}

fn invalid(format: &str, why: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "[INVALID_FORMAT.{why}] The format is invalid: '{format}'."
    ))
}

impl NumberFormat {
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let upper = text.to_ascii_uppercase();
        let mut rest = upper.as_str();
        let mut sign = SignStyle::None;
        if let Some(stripped) = rest.strip_prefix('S') {
            sign = SignStyle::Leading;
            rest = stripped;
        }
        for (suffix, style) in [
            ("MI", SignStyle::Minus),
            ("PR", SignStyle::Brackets),
            ("S", SignStyle::Trailing),
        ] {
            if let Some(stripped) = rest.strip_suffix(suffix) {
                if sign != SignStyle::None {
                    return Err(invalid(text, "WRONG_NUM_TOKEN"));
                }
                sign = style;
                rest = stripped;
                break;
            }
        }
        let mut pieces = Vec::new();
        for c in rest.chars() {
            pieces.push(match c {
                '0' => Piece::Digit { zero: true },
                '9' => Piece::Digit { zero: false },
                '.' | 'D' => Piece::Point,
                ',' | 'G' => Piece::Group,
                '$' => Piece::Dollar,
                _ => return Err(invalid(text, "UNEXPECTED_TOKEN")),
            });
        }
        let count = |wanted: Piece| pieces.iter().filter(|p| **p == wanted).count();
        if !pieces.iter().any(|p| matches!(p, Piece::Digit { .. })) {
            return Err(invalid(text, "EMPTY"));
        }
        if count(Piece::Point) > 1 || count(Piece::Dollar) > 1 {
            return Err(invalid(text, "WRONG_NUM_TOKEN"));
        }
        let point = pieces.iter().position(|p| *p == Piece::Point);
        for (i, piece) in pieces.iter().enumerate() {
            let after_point = point.is_some_and(|at| i > at);
            let between_digits = i > 0
                && matches!(pieces[i - 1], Piece::Digit { .. })
                && matches!(pieces.get(i + 1), Some(Piece::Digit { .. }));
            if (*piece == Piece::Group && (after_point || !between_digits))
                || (*piece == Piece::Dollar && after_point)
            {
                return Err(invalid(text, "CUR_MUST_BEFORE_DOT"));
            }
        }
        Ok(NumberFormat {
            text: text.to_string(),
            pieces,
            sign,
        })
    }

    fn point(&self) -> Option<usize> {
        self.pieces.iter().position(|p| *p == Piece::Point)
    }

    fn digits(&self, pieces: &[Piece]) -> usize {
        pieces
            .iter()
            .filter(|p| matches!(p, Piece::Digit { .. }))
            .count()
    }

    fn integer_pieces(&self) -> &[Piece] {
        &self.pieces[..self.point().unwrap_or(self.pieces.len())]
    }

    fn fraction_pieces(&self) -> &[Piece] {
        match self.point() {
            Some(at) => &self.pieces[at + 1..],
            None => &[],
        }
    }

    /// The decimal type the format reads into: (precision, scale).
    pub(crate) fn decimal_type(&self) -> (u8, i8) {
        let scale = self.digits(self.fraction_pieces());
        let precision = (self.digits(&self.pieces)).clamp(1, 38);
        (precision as u8, scale.min(precision) as i8)
    }

    /// The unscaled value of `input` at the format's scale; None when it does not match.
    pub(crate) fn read(&self, input: &str) -> Option<i128> {
        let mut text = input.trim();
        let mut negative = false;
        match self.sign {
            SignStyle::Leading => {
                if let Some(rest) = text.strip_prefix('-') {
                    (negative, text) = (true, rest);
                } else if let Some(rest) = text.strip_prefix('+') {
                    text = rest;
                }
            }
            SignStyle::Trailing | SignStyle::Minus => {
                if let Some(rest) = text.strip_suffix('-') {
                    (negative, text) = (true, rest);
                } else if let Some(rest) = text.strip_suffix('+') {
                    text = rest;
                }
            }
            SignStyle::Brackets => {
                if let Some(rest) = text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
                    (negative, text) = (true, rest);
                }
            }
            SignStyle::None => {}
        }
        if self.pieces.contains(&Piece::Dollar) {
            text = match (text.strip_prefix('$'), text.strip_suffix('$')) {
                (Some(rest), _) | (None, Some(rest)) => rest,
                (None, None) => return None,
            };
        }
        let (integer, fraction) = match text.split_once('.') {
            Some(_) if self.point().is_none() => return None,
            Some((integer, fraction)) => (integer, fraction),
            None => (text, ""),
        };
        let grouped = self.integer_pieces().contains(&Piece::Group);
        let integer_digits: String = integer
            .chars()
            .filter(|c| !(grouped && *c == ','))
            .collect();
        if integer_digits.is_empty() && fraction.is_empty() {
            return None;
        }
        if !integer_digits.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let integer_places = self.digits(self.integer_pieces());
        let starts_with_zero = matches!(
            self.integer_pieces()
                .iter()
                .find(|p| matches!(p, Piece::Digit { .. })),
            Some(Piece::Digit { zero: true })
        );
        if integer_digits.len() > integer_places
            || (starts_with_zero && integer_digits.len() != integer_places)
        {
            return None;
        }
        let (_, scale) = self.decimal_type();
        if fraction.len() > scale as usize {
            return None;
        }
        let mut digits = integer_digits;
        digits.push_str(fraction);
        digits.extend(std::iter::repeat_n('0', scale as usize - fraction.len()));
        let value: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        Some(if negative { -value } else { value })
    }

    /// `unscaled / 10^scale` laid out by the format; `#` in every digit place when the
    /// integer part does not fit.
    pub(crate) fn write(&self, unscaled: i128, scale: i8) -> String {
        let (_, format_scale) = self.decimal_type();
        let negative = unscaled < 0;
        let magnitude = rescale_half_up(unscaled.unsigned_abs(), scale, format_scale);
        let divisor = 10u128.pow(format_scale as u32);
        let (integer, fraction) = (magnitude / divisor, magnitude % divisor);
        let integer_text = if integer == 0 {
            String::new()
        } else {
            integer.to_string()
        };
        let integer_places = self.digits(self.integer_pieces());
        if integer_text.len() > integer_places {
            return self.overflow();
        }
        let fraction_text = format!("{fraction:0width$}", width = format_scale as usize);
        let mut out = String::new();
        // Integer places are filled from the right; the leftmost unfilled ones pad.
        let mut pad = integer_places - integer_text.len();
        let zero_pad = matches!(
            self.integer_pieces()
                .iter()
                .find(|p| matches!(p, Piece::Digit { .. })),
            Some(Piece::Digit { zero: true })
        ) || (integer_text.is_empty() && self.fraction_pieces().is_empty());
        let mut integer_chars = integer_text.chars();
        let mut fraction_chars = fraction_text.chars();
        let mut after_point = false;
        let mut written_digit = false;
        for piece in &self.pieces {
            match piece {
                Piece::Digit { .. } if after_point => out.extend(fraction_chars.next()),
                Piece::Digit { .. } if pad > 0 => {
                    pad -= 1;
                    // The last integer place shows 0 for a value below one.
                    let last = pad == 0 && integer_text.is_empty();
                    if zero_pad || last {
                        out.push('0');
                        written_digit = true;
                    } else {
                        out.push(' ');
                    }
                }
                Piece::Digit { .. } => {
                    out.extend(integer_chars.next());
                    written_digit = true;
                }
                Piece::Point => {
                    after_point = true;
                    out.push('.');
                }
                Piece::Group => out.push(if written_digit { ',' } else { ' ' }),
                Piece::Dollar => out.push('$'),
            }
        }
        match self.sign {
            SignStyle::Leading => format!("{}{out}", if negative { '-' } else { '+' }),
            SignStyle::Trailing => format!("{out}{}", if negative { '-' } else { '+' }),
            SignStyle::Minus => format!("{out}{}", if negative { '-' } else { ' ' }),
            SignStyle::Brackets if negative => format!("<{out}>"),
            SignStyle::Brackets => format!(" {out} "),
            SignStyle::None if negative => format!("-{out}"),
            SignStyle::None => out,
        }
    }

    fn overflow(&self) -> String {
        let body: String = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Digit { .. } => '#',
                Piece::Point => '.',
                Piece::Group => ',',
                Piece::Dollar => '$',
            })
            .collect();
        match self.sign {
            SignStyle::None => body,
            SignStyle::Leading => format!("#{body}"),
            SignStyle::Brackets => format!("#{body}#"),
            _ => format!("{body}#"),
        }
    }
}

/// `value` (at `from` decimal places) at `to` places, rounding half up.
fn rescale_half_up(value: u128, from: i8, to: i8) -> u128 {
    if to >= from {
        return value.saturating_mul(10u128.pow((to - from) as u32));
    }
    let divisor = 10u128.pow((from - to) as u32);
    let (quotient, remainder) = (value / divisor, value % divisor);
    if remainder * 2 >= divisor {
        quotient + 1
    } else {
        quotient
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Direction {
    /// Text to a number; `lenient` gives NULL where the text does not match.
    ToNumber {
        lenient: bool,
    },
    ToChar,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct NumberFormatFunction {
    name: &'static str,
    direction: Direction,
    signature: Signature,
}

impl NumberFormatFunction {
    pub(crate) fn all() -> Vec<Self> {
        [
            ("to_number", Direction::ToNumber { lenient: false }),
            ("try_to_number", Direction::ToNumber { lenient: true }),
            ("ember_number_to_char", Direction::ToChar),
        ]
        .into_iter()
        .map(|(name, direction)| NumberFormatFunction {
            name,
            direction,
            signature: Signature::user_defined(Volatility::Immutable),
        })
        .collect()
    }
}

fn non_constant_format(name: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] The format of {name} must be a constant string."
    ))
}

/// The constant format argument.
fn format_argument(value: Option<&ScalarValue>, name: &str) -> Result<NumberFormat> {
    match value.map(|v| v.cast_to(&DataType::Utf8)) {
        Some(Ok(ScalarValue::Utf8(Some(text)))) => NumberFormat::parse(&text),
        _ => Err(non_constant_format(name)),
    }
}

impl ScalarUDFImpl for NumberFormatFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [value, _] = arg_types else {
            return plan_err!("{} takes a value and a format", self.name);
        };
        let value = match (self.direction, value) {
            (Direction::ToNumber { .. }, _) => DataType::Utf8,
            (Direction::ToChar, DataType::Decimal128(p, s)) => DataType::Decimal128(*p, *s),
            (Direction::ToChar, t) if t.is_integer() => DataType::Decimal128(38, 0),
            (Direction::ToChar, t) if t.is_numeric() || t.is_null() => DataType::Decimal128(38, 18),
            (Direction::ToChar, other) => {
                return plan_err!(
                    "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] {} needs a number, not {other}",
                    self.name
                )
            }
        };
        Ok(vec![value, DataType::Utf8])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        exec_err!("{} types its result from its format", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let data_type = match self.direction {
            Direction::ToChar => DataType::Utf8,
            Direction::ToNumber { .. } => {
                let format =
                    format_argument(args.scalar_arguments.get(1).copied().flatten(), self.name)?;
                let (precision, scale) = format.decimal_type();
                DataType::Decimal128(precision, scale)
            }
        };
        Ok(Arc::new(Field::new(self.name, data_type, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let format = match args.args.get(1) {
            Some(ColumnarValue::Scalar(value)) => format_argument(Some(value), self.name)?,
            _ => return Err(non_constant_format(self.name)),
        };
        let rows = args.number_rows;
        let values = match args.args.first() {
            Some(value) => value.to_array(rows)?,
            None => return exec_err!("{} takes a value", self.name),
        };
        let out: ArrayRef = match self.direction {
            Direction::ToNumber { lenient } => {
                let (precision, scale) = format.decimal_type();
                let strings = datafusion::arrow::compute::cast(&values, &DataType::Utf8)?;
                let strings = strings.as_string::<i32>();
                let mut builder = Decimal128Builder::with_capacity(rows);
                for text in strings.iter() {
                    match text.map(|t| (t, format.read(t))) {
                        None => builder.append_null(),
                        Some((_, Some(value))) => builder.append_value(value),
                        Some((_, None)) if lenient => builder.append_null(),
                        Some((text, None)) => {
                            return exec_err!(
                                "[INVALID_FORMAT.MISMATCH_INPUT] The format is invalid: '{}'. The input string '{text}' does not match the format.",
                                format.text
                            )
                        }
                    }
                }
                Arc::new(
                    builder
                        .finish()
                        .with_precision_and_scale(precision, scale)?,
                )
            }
            Direction::ToChar => {
                let DataType::Decimal128(_, scale) = values.data_type().clone() else {
                    return exec_err!("{} needs a decimal", self.name);
                };
                let decimals =
                    values.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
                let mut builder = StringBuilder::with_capacity(rows, rows * 8);
                for value in decimals.iter() {
                    match value {
                        Some(value) => builder.append_value(format.write(value, scale)),
                        None => builder.append_null(),
                    }
                }
                Arc::new(builder.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(text: &str) -> Result<NumberFormat> {
        NumberFormat::parse(text)
    }

    #[test]
    fn formats_fix_the_decimal_type() -> Result<()> {
        assert_eq!(format("$99.99")?.decimal_type(), (4, 2));
        assert_eq!(format("999,999")?.decimal_type(), (6, 0));
        assert_eq!(format("S0000.0")?.decimal_type(), (5, 1));
        assert!(format("abc").is_err());
        assert!(format("99,").is_err());
        assert!(format("9.9.9").is_err());
        Ok(())
    }

    #[test]
    fn reading_follows_the_format() -> Result<()> {
        assert_eq!(format("$99.99")?.read("$78.12"), Some(7812));
        assert_eq!(format("$99.99")?.read("77"), None);
        assert_eq!(format("999")?.read("454"), Some(454));
        assert_eq!(format("999")?.read("4544"), None);
        assert_eq!(format("000")?.read("45"), None);
        assert_eq!(format("99,999")?.read("12,454"), Some(12454));
        assert_eq!(format("999.9MI")?.read("12.5-"), Some(-125));
        assert_eq!(format("S999")?.read("-12"), Some(-12));
        assert_eq!(format("999PR")?.read("<12>"), Some(-12));
        assert_eq!(format("99.99")?.read("1.5"), Some(150));
        Ok(())
    }

    #[test]
    fn writing_pads_and_overflows() -> Result<()> {
        assert_eq!(format("$99.99")?.write(7812, 2), "$78.12");
        assert_eq!(format("000D00")?.write(45400, 2), "454.00");
        assert_eq!(format("99G999")?.write(12454, 0), "12,454");
        assert_eq!(format("9999")?.write(45, 0), "  45");
        assert_eq!(format("0000")?.write(45, 0), "0045");
        assert_eq!(format("99")?.write(454, 0), "##");
        assert_eq!(format("99.9S")?.write(-125, 1), "12.5-");
        assert_eq!(format("9.99")?.write(5, 2), "0.05");
        Ok(())
    }
}
