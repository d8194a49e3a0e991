"""Tools/mqtt-durability/run.sh, run at a small count against the broker the suite is pointed at.

On Mosquitto the kill -9 run is expected to lose every acknowledged message (its snapshot is
written every 30 minutes, not before PUBACK); a SIGTERM control run shows that the tool does
receive what the broker kept. On irisd the kill -9 run must lose nothing.
"""

import json
import os
import subprocess

import pytest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools", "mqtt-durability", "run.sh")
COUNT = 50


def run_tool(*arguments):
    """Runs the tool; returns (exit status, its JSON summary or None, its whole output)."""
    completed = subprocess.run(
        [TOOL, "--json", "--count", str(COUNT), *arguments], capture_output=True, text=True, timeout=50
    )
    lines = completed.stdout.strip().splitlines()
    summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return completed.returncode, summary, completed.stdout + completed.stderr


def suite_broker():
    """The broker the suite runs against (MQTT_BROKER)."""
    return os.environ.get("MQTT_BROKER", "mosquitto")


@pytest.mark.skipif(suite_broker() != "irisd", reason="irisd's promise: kill -9 loses nothing acknowledged")
def test_kill_9_on_irisd_loses_nothing_and_duplicates_no_qos2():
    status, summary, output = run_tool("--broker", "irisd", "--irisd", os.environ["IRISD"])
    assert status == 0, output
    assert summary["acked_qos1"] == summary["acked_qos2"] == COUNT
    assert (summary["lost_qos1"], summary["lost_qos2"], summary["duplicated_qos2"]) == (0, 0, 0)


@pytest.mark.skipif(suite_broker() != "mosquitto", reason="the expected finding on Mosquitto")
def test_kill_9_on_mosquitto_reports_losses_and_fails_without_expect_loss():
    status, summary, output = run_tool("--broker", "mosquitto")
    assert status == 1, f"acknowledged messages lost must fail without --expect-loss: {output}"
    assert summary["broker"] == "mosquitto" and summary["count"] == COUNT
    assert summary["acked_qos1"] == summary["acked_qos2"] == COUNT
    assert summary["lost_qos1"] == summary["acked_qos1"] - summary["received_qos1"] > 0, summary
    assert summary["lost_qos2"] == summary["acked_qos2"] - summary["received_qos2"] > 0, summary


@pytest.mark.skipif(suite_broker() != "mosquitto", reason="--expect-loss and the control run are for Mosquitto")
def test_expect_loss_accepts_mosquitto_losses_and_a_clean_shutdown_loses_nothing():
    status, summary, output = run_tool("--broker", "mosquitto", "--qos", "2", "--expect-loss")
    assert status == 0, output
    assert summary["acked_qos2"] == COUNT and summary["lost_qos2"] > 0, summary
    # The control: SIGTERM makes Mosquitto write its snapshot, and every QoS 1 message comes back.
    # (Not QoS 2: Mosquitto 2.0.11 delivers only about the first 20 to 35 of 50 queued QoS 2
    # messages to a returning session even with no restart at all; measured, see the README.)
    status, summary, output = run_tool("--broker", "mosquitto", "--qos", "1", "--signal", "term")
    assert status == 0, output
    assert (summary["acked_qos1"], summary["received_qos1"], summary["lost_qos1"]) == (COUNT, COUNT, 0), summary
    assert summary["acked_qos2"] == 0


def test_expect_loss_is_refused_for_irisd():
    completed = subprocess.run(
        [TOOL, "--broker", "irisd", "--irisd", "/bin/true", "--expect-loss"], capture_output=True, text=True, timeout=10
    )
    assert completed.returncode == 2
    assert "--expect-loss applies to --broker mosquitto only" in completed.stderr
