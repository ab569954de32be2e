"""Reattachable execution over the raw protocol: a client whose stream breaks reattaches
after the last response it saw and receives the rest, then releases the operation."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import grpc
import pyarrow as pa
import pytest
from pyspark.sql.connect.proto import base_pb2, base_pb2_grpc, relations_pb2


@pytest.fixture
def stub(remote_url: str) -> base_pb2_grpc.SparkConnectServiceStub:
    address = urlparse(remote_url.replace("sc://", "http://"))
    channel = grpc.insecure_channel(f"{address.hostname}:{address.port}")
    return base_pb2_grpc.SparkConnectServiceStub(channel)


def range_request(session_id: str, operation_id: str, rows: int) -> base_pb2.ExecutePlanRequest:
    relation = relations_pb2.Relation(
        range=relations_pb2.Range(start=0, end=rows, step=1, num_partitions=rows // 10)
    )
    request = base_pb2.ExecutePlanRequest(
        session_id=session_id,
        operation_id=operation_id,
        user_context=base_pb2.UserContext(user_id="test"),
        plan=base_pb2.Plan(root=relation),
    )
    option = request.request_options.add()
    option.reattach_options.reattachable = True
    return request


def ids_in(responses: list[base_pb2.ExecutePlanResponse]) -> list[int]:
    ids: list[int] = []
    for response in responses:
        if response.HasField("arrow_batch"):
            table = pa.ipc.open_stream(response.arrow_batch.data).read_all()
            ids.extend(table.column(0).to_pylist())
    return ids


def test_reattach_resumes_after_the_last_response_seen(
    stub: base_pb2_grpc.SparkConnectServiceStub,
) -> None:
    session_id, operation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stream = stub.ExecutePlan(range_request(session_id, operation_id, 100))
    seen = [next(stream), next(stream)]
    stream.cancel()  # the connection breaks
    reattach = base_pb2.ReattachExecuteRequest(
        session_id=session_id,
        operation_id=operation_id,
        user_context=base_pb2.UserContext(user_id="test"),
        last_response_id=seen[-1].response_id,
    )
    rest = list(stub.ReattachExecute(reattach))
    assert rest[-1].HasField("result_complete")
    assert sorted(ids_in(seen + rest)) == list(range(100))
    assert len({r.response_id for r in seen + rest}) == len(seen + rest)
    release = base_pb2.ReleaseExecuteRequest(
        session_id=session_id,
        operation_id=operation_id,
        user_context=base_pb2.UserContext(user_id="test"),
        release_all=base_pb2.ReleaseExecuteRequest.ReleaseAll(),
    )
    assert stub.ReleaseExecute(release).operation_id == operation_id
    with pytest.raises(grpc.RpcError, match="OPERATION_NOT_FOUND"):
        list(stub.ReattachExecute(reattach))


def test_released_responses_cannot_be_replayed(
    stub: base_pb2_grpc.SparkConnectServiceStub,
) -> None:
    session_id, operation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stream = stub.ExecutePlan(range_request(session_id, operation_id, 50))
    first = next(stream)
    release = base_pb2.ReleaseExecuteRequest(
        session_id=session_id,
        operation_id=operation_id,
        user_context=base_pb2.UserContext(user_id="test"),
        release_until=base_pb2.ReleaseExecuteRequest.ReleaseUntil(response_id=first.response_id),
    )
    stub.ReleaseExecute(release)
    rest = list(stream)
    assert rest[-1].HasField("result_complete")
    assert sorted(ids_in([first, *rest])) == list(range(50))
    from_start = base_pb2.ReattachExecuteRequest(
        session_id=session_id,
        operation_id=operation_id,
        user_context=base_pb2.UserContext(user_id="test"),
        last_response_id=str(uuid.uuid4()),
    )
    with pytest.raises(grpc.RpcError, match="POSITION_NOT_AVAILABLE"):
        list(stub.ReattachExecute(from_start))
