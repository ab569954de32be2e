"""Derive the Spark Connect protocol descriptor set from the pinned pyspark-client.

Each generated ``pyspark.sql.connect.proto.*_pb2`` module carries its serialized
``FileDescriptorProto``; together they form a ``FileDescriptorSet`` that the
``proto`` crate's build script turns into Rust. Run with the venv's python:

    .venv/bin/python scripts/gen_descriptors.py crates/proto/data/spark_connect.binpb
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2


def collect() -> descriptor_pb2.FileDescriptorSet:
    import pyspark.sql.connect.proto as proto_pkg

    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}

    def add(file_descriptor: object) -> None:
        name = file_descriptor.name  # type: ignore[attr-defined]
        if name in files:
            return
        for dep in file_descriptor.dependencies:  # type: ignore[attr-defined]
            add(dep)
        proto = descriptor_pb2.FileDescriptorProto()
        proto.ParseFromString(file_descriptor.serialized_pb)  # type: ignore[attr-defined]
        files[name] = proto

    for module in sorted(pkgutil.iter_modules(proto_pkg.__path__), key=lambda m: m.name):
        if not module.name.endswith("_pb2"):
            continue
        loaded = importlib.import_module(f"{proto_pkg.__name__}.{module.name}")
        add(loaded.DESCRIPTOR)
    result = descriptor_pb2.FileDescriptorSet()
    result.file.extend(files.values())
    return result


def main() -> None:
    out = Path(sys.argv[1])
    out.write_bytes(collect().SerializeToString())
    import pyspark

    print(f"wrote {out} from pyspark-client {pyspark.__version__}")


if __name__ == "__main__":
    main()
