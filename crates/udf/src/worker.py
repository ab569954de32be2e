"""Ember's Python UDF worker: runs functions a PySpark client pickled, one request at a time.

Requests arrive on stdin and answers leave on stdout, each field framed by a little-endian u32
length. A request is: eval type (u32), the pickled (function, return type), the expected output
schema and the argument batch (both Arrow IPC streams). The answer is a status byte (0 ok, 1
error) and either an Arrow IPC stream holding one result column or the error text.
"""

import os
import struct
import sys
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

import pyarrow as pa

BATCHED_UDF = 100
ARROW_BATCHED_UDF = 101
SCALAR_PANDAS_UDF = 200
GROUPED_MAP_PANDAS_UDF = 201
GROUPED_AGG_PANDAS_UDF = 202
MAP_PANDAS_ITER_UDF = 205
MAP_ARROW_ITER_UDF = 207
SCALAR_ARROW_UDF = 250


def read_exact(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_blob(stream: BinaryIO) -> bytes:
    (size,) = struct.unpack("<I", read_exact(stream, 4))
    return read_exact(stream, size)


def write_answer(stream: BinaryIO, status: int, payload: bytes) -> None:
    stream.write(struct.pack("<BI", status, len(payload)))
    stream.write(payload)
    stream.flush()


def load_function(command: bytes, cache: dict[bytes, Callable[..., Any]]) -> Callable[..., Any]:
    if command not in cache:
        from pyspark.serializers import CloudPickleSerializer

        function, _return_type = CloudPickleSerializer().loads(command)
        cache[command] = function
    return cache[command]


def python_values(column: pa.Array) -> list[Any]:
    """A column as the Python values Spark hands a UDF: structs as Rows, maps as dicts,
    timestamps as naive local datetimes."""
    convert = converter(column.type)
    values = column.to_pylist()
    return values if convert is None else [None if v is None else convert(v) for v in values]


def converter(data_type: pa.DataType) -> Callable[[Any], Any] | None:
    if pa.types.is_struct(data_type):
        from pyspark.sql import Row

        names = [data_type.field(i).name for i in range(data_type.num_fields)]
        inner = [converter(data_type.field(i).type) for i in range(data_type.num_fields)]
        row = Row(*names)

        def to_row(value: dict[str, Any]) -> Any:
            items = [value[n] for n in names]
            return row(
                *[v if c is None or v is None else c(v) for v, c in zip(items, inner, strict=True)]
            )

        return to_row
    if pa.types.is_map(data_type):
        key, item = converter(data_type.key_type), converter(data_type.item_type)
        return lambda pairs: {
            (k if key is None or k is None else key(k)): (
                v if item is None or v is None else item(v)
            )
            for k, v in pairs
        }
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        element = converter(data_type.value_type)
        if element is None:
            return None
        return lambda items: [None if v is None else element(v) for v in items]
    if pa.types.is_timestamp(data_type) and data_type.tz is not None:
        return lambda moment: moment.astimezone().replace(tzinfo=None)
    return None


KEYWORD_PREFIX = "kw:"


def evaluate(eval_type: int, function: Callable[..., Any], batch: pa.RecordBatch) -> Any:
    named = [(c, f.name) for c, f in zip(batch.columns, batch.schema, strict=True)]
    named = [(c, name) for c, name in named if not name.startswith("__")]
    # Columns named with the keyword prefix are passed by that keyword, after the others.
    columns = [c for c, name in named if not name.startswith(KEYWORD_PREFIX)]
    keywords = [name[len(KEYWORD_PREFIX) :] for _, name in named if name.startswith(KEYWORD_PREFIX)]
    columns += [c for c, name in named if name.startswith(KEYWORD_PREFIX)]
    positional = len(columns) - len(keywords)
    if eval_type in (SCALAR_PANDAS_UDF, GROUPED_AGG_PANDAS_UDF):
        series = [c.to_pandas() for c in columns]
        result = function(
            *series[:positional], **dict(zip(keywords, series[positional:], strict=True))
        )
        return [result] if eval_type == GROUPED_AGG_PANDAS_UDF else result
    if eval_type == SCALAR_ARROW_UDF:
        return function(
            *columns[:positional], **dict(zip(keywords, columns[positional:], strict=True))
        )
    if not columns:
        return [function() for _ in range(batch.num_rows)]
    values = [python_values(c) for c in columns]
    return [
        function(*row[:positional], **dict(zip(keywords, row[positional:], strict=True)))
        for row in zip(*values, strict=True)
    ]


def java_string(value: Any) -> str | None:
    """The text the JVM's toString gives a converted Python value."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_arrow(result: Any, field: pa.Field) -> pa.Array:
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    if isinstance(result, pa.Array):
        return result.cast(field.type)
    if isinstance(result, list):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            # A row UDF declared to return strings gives str() of what it returns, as Spark's
            # converter does (`lambda s: len(s)` under the default StringType).
            result = [java_string(v) for v in result]
        return pa.array(result, type=field.type)
    return pa.Array.from_pandas(result, type=field.type)


def scalar_call(
    eval_type: int, function: Callable[..., Any], arguments: bytes, output: pa.Schema
) -> list[pa.RecordBatch]:
    batch = pa.ipc.open_stream(arguments).read_all().combine_chunks()
    batches = batch.to_batches()
    # Only an aggregate over no rows arrives empty.
    record = (
        batches[0]
        if batches
        else pa.record_batch([pa.array([], type=f.type) for f in batch.schema], schema=batch.schema)
    )
    result = to_arrow(evaluate(eval_type, function, record), output.field(0))
    expected = 1 if eval_type == GROUPED_AGG_PANDAS_UDF else batch.num_rows
    if len(result) != expected:
        raise ValueError(f"the UDF returned {len(result)} values where {expected} are due")
    return [pa.record_batch([result], schema=output)]


def conform(batch: pa.RecordBatch, output: pa.Schema) -> pa.RecordBatch:
    """A function's output batch with the declared schema: columns by name when it has them
    all (others, such as a pandas index, are left out), else by position."""
    names = set(batch.schema.names)
    if all(name in names for name in output.names):
        columns = [batch.column(name) for name in output.names]
    elif batch.num_columns == len(output):
        columns = list(batch.columns)
    else:
        raise ValueError(
            f"the function returned columns {batch.schema.names}, not the declared {output.names}"
        )
    converted = [c.cast(f.type) for c, f in zip(columns, output, strict=True)]
    return pa.record_batch(converted, schema=output)


def partition_call(
    eval_type: int, function: Callable[..., Any], arguments: bytes, output: pa.Schema
) -> list[pa.RecordBatch]:
    """mapInPandas / mapInArrow: the function maps the partition's batches to new ones."""
    batches = list(pa.ipc.open_stream(arguments))
    if eval_type == MAP_PANDAS_ITER_UDF:
        frames = function(batch.to_pandas() for batch in batches)
        results = [pa.RecordBatch.from_pandas(frame, preserve_index=False) for frame in frames]
    else:
        results = list(function(iter(batches)))
    return [conform(batch, output) for batch in results]


def group_call(
    function: Callable[..., Any], arguments: bytes, output: pa.Schema
) -> list[pa.RecordBatch]:
    """applyInPandas: the function maps each group's rows (and, if it takes two arguments,
    the group's key) to a pandas DataFrame."""
    import inspect

    import pandas as pd

    table = pa.ipc.open_stream(arguments).read_all()
    frame = table.to_pandas()
    keys = [name for name in frame.columns if str(name).startswith("__key_")]
    with_key = len(inspect.signature(function).parameters) == 2
    results = []
    if len(frame):
        for key, group in frame.groupby(keys, sort=False, dropna=False):
            rows = group.drop(columns=keys).reset_index(drop=True)
            key_tuple = key if isinstance(key, tuple) else (key,)
            result = function(key_tuple, rows) if with_key else function(rows)
            if not isinstance(result, pd.DataFrame):
                raise TypeError(f"applyInPandas must return a pandas DataFrame, not {type(result)}")
            results.append(pa.RecordBatch.from_pandas(result, preserve_index=False))
    return [conform(batch, output) for batch in results]


def main() -> None:
    # Answers go out on a private copy of stdout; what user code prints (at the Python or
    # the C level) goes to stderr instead, so it can never garble an answer.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    cache: dict[bytes, Callable[..., Any]] = {}
    while True:
        try:
            (eval_type,) = struct.unpack("<I", read_exact(requests, 4))
        except EOFError:
            return
        command = read_blob(requests)
        output = pa.ipc.read_schema(pa.py_buffer(read_blob(requests)))
        arguments = read_blob(requests)
        try:
            function = load_function(command, cache)
            if eval_type == GROUPED_MAP_PANDAS_UDF:
                results = group_call(function, arguments, output)
            elif eval_type in (MAP_PANDAS_ITER_UDF, MAP_ARROW_ITER_UDF):
                results = partition_call(eval_type, function, arguments, output)
            else:
                results = scalar_call(eval_type, function, arguments, output)
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, output) as writer:
                for result in results:
                    writer.write_batch(result)
            write_answer(answers, 0, sink.getvalue().to_pybytes())
        except Exception:
            write_answer(answers, 1, traceback.format_exc().encode("utf-8", "replace"))


if __name__ == "__main__":
    main()
