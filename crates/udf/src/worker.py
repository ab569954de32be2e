"""Ember's Python UDF worker: runs functions a PySpark client pickled, one request at a time.

Requests arrive on stdin and answers leave on stdout, each field framed by a little-endian u32
length. A request is: eval type (u32), the pickled (function, return type), the expected output
schema and the argument batch (both Arrow IPC streams). The answer is a status byte (0 ok, 1
error) and either an Arrow IPC stream holding one result column or the error text.
"""

import struct
import sys
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

import pyarrow as pa

BATCHED_UDF = 100
ARROW_BATCHED_UDF = 101
SCALAR_PANDAS_UDF = 200


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


def evaluate(eval_type: int, function: Callable[..., Any], batch: pa.RecordBatch) -> Any:
    named = zip(batch.columns, batch.schema, strict=True)
    columns = [column for column, field in named if not field.name.startswith("__")]
    if eval_type == SCALAR_PANDAS_UDF:
        series = [c.to_pandas() for c in columns]
        return function(*series)
    if not columns:
        return [function() for _ in range(batch.num_rows)]
    values = [c.to_pylist() for c in columns]
    return [function(*row) for row in zip(*values, strict=True)]


def to_arrow(result: Any, field: pa.Field) -> pa.Array:
    if isinstance(result, list):
        return pa.array(result, type=field.type)
    return pa.Array.from_pandas(result, type=field.type)


def main() -> None:
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    cache: dict[bytes, Callable[..., Any]] = {}
    while True:
        try:
            (eval_type,) = struct.unpack("<I", read_exact(requests, 4))
        except EOFError:
            return
        command = read_blob(requests)
        output = pa.ipc.read_schema(pa.py_buffer(read_blob(requests)))
        batch = pa.ipc.open_stream(read_blob(requests)).read_all().combine_chunks()
        try:
            function = load_function(command, cache)
            # Ember never sends an empty batch, so there is exactly one.
            record = batch.to_batches()[0]
            result = to_arrow(evaluate(eval_type, function, record), output.field(0))
            if len(result) != batch.num_rows:
                raise ValueError(f"the UDF returned {len(result)} values for {batch.num_rows} rows")
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, output) as writer:
                writer.write_batch(pa.record_batch([result], schema=output))
            write_answer(answers, 0, sink.getvalue().to_pybytes())
        except Exception:
            write_answer(answers, 1, traceback.format_exc().encode("utf-8", "replace"))


if __name__ == "__main__":
    main()
