"""The embedded broker under concurrent publish/consume, with real processes on one folder."""

import hashlib
import multiprocessing
import os
import queue

import pytest
from kombu import Connection, Exchange
from kombu import Queue as KombuQueue

from leadflow.core import broker

PUBLISHERS = 3
CONSUMERS = 3
MESSAGES_PER_PUBLISHER = 40
# Large bodies keep each write in progress long enough for a reader to meet a half-written file.
PAYLOAD_BYTES = 256 * 1024


def _connection(folder) -> Connection:
    broker.register()
    return Connection(
        "atomicfs://localhost//",
        transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processing_folder": str(folder / "processing"),
            "control_folder": str(folder / "control"),
            "polling_interval": 0.01,
        },
    )


def _message(publisher: int, number: int) -> dict:
    body = os.urandom(PAYLOAD_BYTES // 2).hex()
    return {"id": f"{publisher}-{number}", "body": body, "sha": hashlib.sha256(body.encode()).hexdigest()}


def _publish(folder, publisher: int) -> None:
    with _connection(folder) as conn:
        jobs = conn.SimpleQueue("jobs")
        for number in range(MESSAGES_PER_PUBLISHER):
            jobs.put(_message(publisher, number))


def _consume(folder, results: multiprocessing.Queue, done: multiprocessing.Event) -> None:
    try:
        with _connection(folder) as conn:
            jobs = conn.SimpleQueue("jobs")
            while not done.is_set():
                try:
                    message = jobs.get(timeout=0.2)
                except jobs.Empty:
                    continue
                payload = message.payload
                intact = hashlib.sha256(payload["body"].encode()).hexdigest() == payload["sha"]
                results.put(("ok" if intact else "corrupt", payload["id"]))
                message.ack()
    except Exception as exc:  # reported, so the test fails with the reason instead of waiting
        results.put(("error", repr(exc)))


def _start(target, *args) -> multiprocessing.Process:
    process = multiprocessing.get_context("fork").Process(target=target, args=args, daemon=True)
    process.start()
    return process


def test_every_message_published_concurrently_is_consumed_once_and_whole(tmp_path):
    context = multiprocessing.get_context("fork")
    results, done = context.Queue(), context.Event()
    consumers = [_start(_consume, tmp_path, results, done) for _ in range(CONSUMERS)]
    publishers = [_start(_publish, tmp_path, n) for n in range(PUBLISHERS)]

    expected = {f"{p}-{n}" for p in range(PUBLISHERS) for n in range(MESSAGES_PER_PUBLISHER)}
    received, problems = [], []
    try:
        while len(received) < len(expected) and not problems:
            # Condition-based: each message arrives or a consumer reports why not; the long timeout is a hang guard.
            try:
                outcome, detail = results.get(timeout=120)
            except queue.Empty:
                pytest.fail(f"no message for 120 s; received {len(received)} of {len(expected)}")
            (received if outcome == "ok" else problems).append(detail)
    finally:
        done.set()
        for process in consumers + publishers:
            process.join(timeout=30)

    assert problems == []
    assert sorted(received) == sorted(expected)  # each exactly once
    assert all(p.exitcode == 0 for p in publishers)
    assert [name for name in os.listdir(tmp_path / "queue") if name.endswith(".msg")] == []


def _bind(folder, number: int) -> None:
    with _connection(folder) as conn:
        exchange = Exchange("broadcast", type="fanout")
        KombuQueue(f"listener-{number}", exchange)(conn.default_channel).declare()


def test_fanout_bindings_written_concurrently_are_all_kept_and_always_readable(tmp_path):
    binders = [_start(_bind, tmp_path, n) for n in range(8)]
    with _connection(tmp_path) as conn:
        channel = conn.default_channel
        # Read the table while it is being rewritten: a half-written table would raise here.
        while any(p.is_alive() for p in binders):
            channel.get_table("broadcast")
        for process in binders:
            process.join(timeout=30)
        assert all(p.exitcode == 0 for p in binders)
        assert sorted(q.queue for q in channel.get_table("broadcast")) == sorted(f"listener-{n}" for n in range(8))


def test_a_partly_written_message_is_invisible_to_consumers(tmp_path):
    with _connection(tmp_path) as conn:
        jobs = conn.SimpleQueue("jobs")
        (tmp_path / "queue" / f"1_x.jobs.msg.abc{broker.PARTIAL_SUFFIX}").write_bytes(b'{"half')
        with pytest.raises(jobs.Empty):
            jobs.get(timeout=0.3)
