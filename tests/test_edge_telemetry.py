"""MQTT telemetry against a real broker (Mosquitto on 127.0.0.1:1883; skipped where none runs)."""

from __future__ import annotations

import json
import queue
import socket
import threading
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest

from swingcoach.edge.library import SwingEntry
from swingcoach.edge.telemetry import Telemetry, parse_broker
from swingcoach.schemas import EventFrames, ModelVersions

BROKER = ("127.0.0.1", 1883)


def broker_running() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1.0).close()
    except OSError:
        return False
    return True


def entry() -> SwingEntry:
    return SwingEntry(
        id=uuid.uuid4(),
        recorded_at=datetime.now(UTC),
        source="camera:0",
        fps=30.0,
        width=360,
        height=640,
        first_frame=300,
        frames=120,
        start_time_s=10.0,
        takeaway_frame=330,
        top_frame=360,
        impact_frame=370,
        finish_frame=390,
        handedness="right",
        view="down-the-line",
        events=EventFrames(
            address=330,
            toe_up=340,
            mid_backswing=350,
            top=360,
            mid_downswing=365,
            impact=370,
            mid_follow_through=375,
            finish=390,
        ),
        models=ModelVersions(pose="blazepose-lite", events="rules-1"),
    )


def subscribe(topic: str) -> tuple[mqtt.Client, queue.Queue[mqtt.MQTTMessage]]:
    """A client subscribed to `topic` on the test broker, and the queue its messages arrive in."""
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    subscriber.on_message = lambda _client, _userdata, message: received.put(message)
    subscribed = threading.Event()
    subscriber.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
    subscriber.on_subscribe = lambda *_: subscribed.set()
    subscriber.connect(*BROKER)
    subscriber.loop_start()
    assert subscribed.wait(10.0)
    return subscriber, received


def test_parse_broker() -> None:
    assert parse_broker("mqtt://broker.local:1884") == ("broker.local", 1884)
    assert parse_broker("127.0.0.1") == ("127.0.0.1", 1883)
    with pytest.raises(ValueError, match="host"):
        parse_broker("broker:port")


@pytest.mark.skipif(not broker_running(), reason="no MQTT broker on 127.0.0.1:1883")
def test_swing_events_reach_a_subscriber() -> None:
    device = f"test-{uuid.uuid4().hex[:8]}"
    subscriber, received = subscribe(f"swingcoach/{device}/#")
    telemetry = Telemetry(f"{BROKER[0]}:{BROKER[1]}", device)
    try:
        saved = entry()
        telemetry.state("address")
        telemetry.swing_saved(saved)  # queued until the connection is up, then sent
        messages = {}
        while not {"swing", "status", "state"} <= messages.keys():
            message = received.get(timeout=10.0)
            messages[message.topic.rsplit("/", 1)[1]] = message.payload.decode()
    finally:
        telemetry.close()
        subscriber.loop_stop()
        subscriber.disconnect()
    swing = json.loads(messages["swing"])
    assert swing["swing_id"] == str(saved.id)
    assert swing["events_s"]["address"] == pytest.approx(11.0)  # 10 s + 30 frames at 30 fps
    assert swing["events_s"]["finish"] == pytest.approx(13.0)  # 10 s + 90 frames
    assert messages["status"] == "online" and messages["state"] == "address"
    # Retained for anyone who subscribes later: the device went offline cleanly.
    late = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    retained: queue.Queue[str] = queue.Queue()
    late.on_message = lambda _client, _userdata, message: retained.put(message.payload.decode())
    late.on_connect = lambda client, *_: client.subscribe(f"swingcoach/{device}/status")
    late.connect(*BROKER)
    late.loop_start()
    try:
        assert retained.get(timeout=10.0) == "offline"
    finally:
        late.loop_stop()
        late.disconnect()
        cleanup = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)  # leave no retained test topics behind
        cleanup.connect(*BROKER)
        cleanup.loop_start()
        for topic in ("status", "state"):
            cleanup.publish(f"swingcoach/{device}/{topic}", b"", qos=1, retain=True).wait_for_publish(10.0)
        cleanup.loop_stop()
        cleanup.disconnect()
