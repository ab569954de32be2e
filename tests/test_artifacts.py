"""Artifacts the client uploads stay with its session, and a corrupted upload is refused."""

from __future__ import annotations

import uuid
import zlib
from pathlib import Path
from urllib.parse import urlparse

import grpc
from pyspark.sql import SparkSession
from pyspark.sql.connect.proto import base_pb2, base_pb2_grpc


def status(remote_url: str, session_id: str, names: list[str]) -> dict[str, bool]:
    address = urlparse(remote_url.replace("sc://", "http://"))
    stub = base_pb2_grpc.SparkConnectServiceStub(
        grpc.insecure_channel(f"{address.hostname}:{address.port}")
    )
    request = base_pb2.ArtifactStatusesRequest(
        session_id=session_id, user_context=base_pb2.UserContext(user_id="test"), names=names
    )
    response = stub.ArtifactStatus(request)
    return {name: response.statuses[name].exists for name in names}


def test_uploaded_file_is_kept_for_the_session(
    spark: SparkSession, remote_url: str, tmp_path: Path
) -> None:
    path = tmp_path / f"notes_{uuid.uuid4().hex}.txt"
    path.write_text("hello")
    spark.addArtifacts(str(path), file=True)
    client = spark.client  # type: ignore[attr-defined]
    name = f"files/{path.name}"
    user = client._user_id or ""
    address = urlparse(remote_url.replace("sc://", "http://"))
    stub = base_pb2_grpc.SparkConnectServiceStub(
        grpc.insecure_channel(f"{address.hostname}:{address.port}")
    )
    request = base_pb2.ArtifactStatusesRequest(
        session_id=client._session_id,
        user_context=base_pb2.UserContext(user_id=user),
        names=[name],
    )
    assert stub.ArtifactStatus(request).statuses[name].exists


def test_batch_upload_checks_crc(remote_url: str) -> None:
    address = urlparse(remote_url.replace("sc://", "http://"))
    stub = base_pb2_grpc.SparkConnectServiceStub(
        grpc.insecure_channel(f"{address.hostname}:{address.port}")
    )
    session_id = str(uuid.uuid4())
    data = b"print('hi')\n"
    good = base_pb2.AddArtifactsRequest.SingleChunkArtifact(
        name="pyfiles/good.py",
        data=base_pb2.AddArtifactsRequest.ArtifactChunk(data=data, crc=zlib.crc32(data)),
    )
    bad = base_pb2.AddArtifactsRequest.SingleChunkArtifact(
        name="pyfiles/bad.py",
        data=base_pb2.AddArtifactsRequest.ArtifactChunk(data=data, crc=zlib.crc32(data) ^ 1),
    )
    request = base_pb2.AddArtifactsRequest(
        session_id=session_id,
        user_context=base_pb2.UserContext(user_id="test"),
        batch=base_pb2.AddArtifactsRequest.Batch(artifacts=[good, bad]),
    )
    response = stub.AddArtifacts(iter([request]))
    assert {a.name: a.is_crc_successful for a in response.artifacts} == {
        "pyfiles/good.py": True,
        "pyfiles/bad.py": False,
    }
    assert status(remote_url, session_id, ["pyfiles/good.py", "pyfiles/bad.py"]) == {
        "pyfiles/good.py": True,
        "pyfiles/bad.py": False,
    }
