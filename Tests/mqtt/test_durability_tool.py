"""Tools/mqtt-durability/run.sh, run at a small count against the broker the suite is pointed at.

On Mosquitto the kill -9 run is expected to lose every acknowledged message (its snapshot is
written every 30 minutes, not before PUBACK); a SIGTERM control run shows that the tool does
receive what the broker kept. On irisd the kill -9 run must lose nothing, on one node and in a 3-node cluster whichever partition
leader is killed (the subscriber's after publishing, the publisher's during it).
"""

import json
import os
import subprocess

import pytest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools", "mqtt-durability", "run.sh")
COUNT = 50
# Messages per QoS in the 3-node runs, the count CI's evidence names (Scripts/test.sh runs them
# only here). A run costs about 10 s at 200 or at 2,000: starting, killing and restarting nodes dominates.
CLUSTER_COUNT = 2000


def run_tool(*arguments, count=COUNT, timeout=50):
    """Runs the tool; returns (exit status, its JSON summary or None, its whole output)."""
    completed = subprocess.run(
        [TOOL, "--json", "--count", str(count), *arguments], capture_output=True, text=True, timeout=timeout
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


def iris_log():
    """iris-log, which the cluster run asks for partition leaders: $IRIS_LOG, else next to $IRISD."""
    path = os.environ.get("IRIS_LOG") or os.path.join(os.path.dirname(os.environ.get("IRISD", "")), "iris-log")
    if not os.access(path, os.X_OK):
        pytest.fail(f"the cluster run needs iris-log: set IRIS_LOG or build it next to IRISD (tried {path})")
    return path


@pytest.mark.skipif(suite_broker() != "irisd", reason="irisd's promise, in a 3-node cluster")
@pytest.mark.parametrize("victim", ["subscriber-leader", "publisher-leader"])
def test_kill_9_of_a_partition_leader_in_a_cluster_loses_nothing(victim):
    status, summary, output = run_tool(
        "--broker", "iris-cluster", "--kill", victim, "--irisd", os.environ["IRISD"], "--iris-log", iris_log(),
        count=CLUSTER_COUNT, timeout=170,
    )
    assert status == 0, output
    assert (summary["kill"], summary["count"]) == (victim, CLUSTER_COUNT)
    assert summary["acked_qos1"] == summary["acked_qos2"] == CLUSTER_COUNT, output
    assert (summary["lost_qos1"], summary["lost_qos2"], summary["duplicated_qos2"]) == (0, 0, 0), output
    assert "cluster: kill -9 node" in output and "answers MQTT again" in output, output


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


def test_kill_and_iris_log_are_refused_outside_a_cluster_run():
    completed = subprocess.run(
        [TOOL, "--broker", "irisd", "--irisd", "/bin/true", "--kill", "publisher-leader"],
        capture_output=True, text=True, timeout=10,
    )
    assert completed.returncode == 2
    assert "--kill applies to --broker iris-cluster only" in completed.stderr
    completed = subprocess.run(
        [TOOL, "--broker", "iris-cluster", "--irisd", "/bin/true", "--iris-log", "/nonexistent/iris-log"],
        capture_output=True, text=True, timeout=10,
    )
    assert completed.returncode == 2
    assert "--broker iris-cluster needs --iris-log PATH" in completed.stderr


def test_expect_loss_is_refused_for_irisd():
    completed = subprocess.run(
        [TOOL, "--broker", "irisd", "--irisd", "/bin/true", "--expect-loss"], capture_output=True, text=True, timeout=10
    )
    assert completed.returncode == 2
    assert "--expect-loss applies to --broker mosquitto only" in completed.stderr
