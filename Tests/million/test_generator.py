"""Tools/million: the load generator (mqtt-million) against irisd, and the harness end to end.

Not part of Scripts/test.sh (issue 12's first milestone adds no CI step). Run with
    IRISD=.build/release/irisd python3 -m pytest -q Tests/million
(IRISD defaults to .build/release/irisd). The harness tests need root (they raise and restore sysctls).
"""

import json
import os
import select
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE = os.path.join(ROOT, "Tools", "million", "mqtt-million.c")
RUN = os.path.join(ROOT, "Tools", "million", "run.sh")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("generator") / "mqtt-million")
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", path, SOURCE], check=True)
    return path


@pytest.fixture(scope="module")
def irisd(tmp_path_factory):
    binary = os.environ.get("IRISD", os.path.join(ROOT, ".build", "release", "irisd"))
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no irisd at {binary}: build it (swift build -c release --product irisd) or set IRISD")
    data = str(tmp_path_factory.mktemp("irisd"))
    mqtt, metrics, clients = free_port(), free_port(), free_port()
    log = open(os.path.join(data, "irisd.log"), "w")
    process = subprocess.Popen(
        [binary, "serve", "--data", os.path.join(data, "d"), "--id", "1", "--cluster", f"1=127.0.0.1:{clients}",
         "--mqtt", f"127.0.0.1:{mqtt}", "--metrics", f"127.0.0.1:{metrics}"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "irisd exited at start"
        try:
            socket.create_connection(("127.0.0.1", mqtt), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "irisd did not listen within 60 s"
            time.sleep(0.2)
    yield {"mqtt": mqtt, "metrics": metrics}
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_connections(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("iris_mqtt_connections "):
                return int(float(line.split()[1]))
    raise AssertionError("no iris_mqtt_connections in the metrics")


def kernel_connections(port):
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return len(out.splitlines())


def read_event(process, kind, timeout):
    """The next JSON line of `process` whose event is `kind`, read as lines come (at most `timeout` s)."""
    deadline = time.monotonic() + timeout
    pending = getattr(process, "pending", b"")
    while time.monotonic() < deadline:
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            event = json.loads(line)
            if event["event"] == kind:
                process.pending = pending
                return event
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(process.stdout.fileno(), 1 << 20)
            if not chunk:
                raise AssertionError(f"the generator exited ({process.wait()}) before '{kind}'")
            pending += chunk
    raise AssertionError(f"no '{kind}' event within {timeout} s")


def start(generator, irisd, *arguments):
    return subprocess.Popen([generator, "--port", str(irisd["mqtt"]), *arguments], stdout=subprocess.PIPE)


def test_1000_connections_counted_three_ways_with_pings_and_the_workload(generator, irisd):
    process = start(generator, irisd, "--connections", "1000", "--rate", "2000", "--keepalive", "4",
                    "--ping-interval", "1", "--workload-fraction", "0.1", "--message-interval-ms", "100",
                    "--prefix", "t1-", "--duration", "30")
    try:
        ramped = read_event(process, "ramped", 20)
        assert ramped["connacks"] == 1000 and ramped["connected_now"] == 1000, ramped
        assert ramped["connect_errors"] == {} and ramped["connack_refused"] == {}
        assert server_connections(irisd["metrics"]) == 1000
        assert kernel_connections(irisd["mqtt"]) == 1000
        time.sleep(3)
        process.send_signal(signal.SIGTERM)
        final = read_event(process, "final", 10)
    finally:
        process.kill()
        process.wait()
    assert final["connected_now"] == 1000 and final["drops_after_connack"] == {}, final
    assert final["pings_sent"] > 1000 and final["pings_sent"] == final["pongs_received"], final
    workload = final["workload"]
    assert workload["clients"] == 100
    assert workload["published"] > 0 and workload["published"] == workload["acked"] == workload["delivered"], workload
    assert workload["duplicates"] == 0 and 0 < workload["p50_ms"] <= workload["p99_ms"]
    assert sum(count for _, count in final["delivery_buckets"]) == workload["delivered"]


def test_silent_clients_are_closed_by_the_brokers_keep_alive_and_no_others(generator, irisd):
    process = start(generator, irisd, "--connections", "20", "--silent", "5", "--keepalive", "1",
                    "--ping-interval", "0.5", "--prefix", "t2-", "--duration", "5")
    try:
        final = read_event(process, "final", 20)
    finally:
        process.kill()
        process.wait()
    assert final["connacks"] == 20
    assert final["silent_closed_by_server"] == 5 and final["others_closed_after_connack"] == 0, final
    assert final["connected_now"] == 15 and final["drops_after_connack"] == {"EOF": 5}


def test_refused_connections_are_counted_by_errno(generator):
    port = free_port()  # nothing listens there
    process = subprocess.Popen([generator, "--port", str(port), "--connections", "50", "--duration", "5"],
                               stdout=subprocess.PIPE)
    try:
        ramped = read_event(process, "ramped", 10)
    finally:
        process.kill()
        process.wait()
    assert ramped["connacks"] == 0 and ramped["connect_errors"] == {"ECONNREFUSED": 50}, ramped


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the harness raises and restores sysctls as root")


def sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as f:
        return f.read().split()


@needs_root
def test_harness_small_run_agrees_and_restores_the_sysctls():
    before = {k: sysctl(k) for k in ("net.ipv4.tcp_max_syn_backlog", "net.core.somaxconn", "fs.file-max")}
    completed = subprocess.run([RUN, "--connections", "1000", "--keepalive", "2", "--hold", "5", "--rate", "2000",
                                "--silent", "4", "--json"], capture_output=True, text=True, timeout=170)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["ok"] and result["failures"] == []
    assert result["connections_kernel"] == result["connections_server"] == result["connections_client"] == 1000
    assert result["pings_sent"] == result["pongs_received"] > 0
    assert result["hold"]["silent_closed_by_server"] == 4
    assert result["storm"]["wills_received"] == result["storm"]["killed_connections"] > 0
    assert result["reconnect"]["counts"]["connections_client"] == 1000
    assert result["workload_p99_ms"] is not None and result["server_user_bytes_per_connection"] is not None
    assert {k: sysctl(k) for k in before} == before


@needs_root
def test_harness_fails_loudly_when_the_descriptor_limit_cannot_be_raised():
    soft, hard = (int(x) for x in subprocess.run(["bash", "-c", "ulimit -Sn; ulimit -Hn"], capture_output=True,
                                                  text=True, check=True).stdout.split())
    with open("/proc/self/status") as f:
        bounding = next(int(line.split()[1], 16) for line in f if line.startswith("CapBnd:"))
    if bounding >> 24 & 1:
        pytest.skip("CAP_SYS_RESOURCE is available here: the limit can be raised")
    too_many = hard + 1000
    completed = subprocess.run([RUN, "--connections", str(too_many), "--json"], capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 2
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert not result["ok"] and "CAP_SYS_RESOURCE" in result["failures"][0], result
    assert result["limits"]["RLIMIT_NOFILE"] == hard
