"""Bytes per idle MQTT connection, by stage, and a heap profile of them (issue 12).

Starts irisd through a command prefix (heaptrack, for one), opens N connections that send nothing,
prints Anonymous delta / N, then (STAGE connect or will) sends CONNECT (clean session 1; with a QoS 0
will like Tools/million's idle clients for `will`), waits for every CONNACK, prints the delta again,
and SIGKILLs irisd, so that heaptrack's "leaked" bytes are what the connections held.
    python3 Tools/million/heap_hold.py N accept|connect|will -- [heaptrack -o FILE] IRISD
    heaptrack_print -f FILE.zst --flamegraph-cost-type leaked -F stacks.txt
    python3 Tools/million/heap_sites.py stacks.txt N [DEPTH]
"""
import os, socket, struct, subprocess, sys, time, tempfile, signal
n = int(sys.argv[1]); stage = sys.argv[2]; cmd = sys.argv[4:]
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]
data = tempfile.mkdtemp(prefix="lean-hold-")
port = free_port()
full = cmd + ["serve", "--data", data, "--id", "1", "--cluster", f"1=127.0.0.1:{free_port()}", "--mqtt", f"127.0.0.1:{port}"]
p = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
deadline = time.monotonic() + 120
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
    except OSError:
        if time.monotonic() > deadline: raise SystemExit("no start")
        time.sleep(0.3)
time.sleep(2)
def irisd_pid():
    for d in os.listdir("/proc"):
        if not d.isdigit(): continue
        try:
            if os.getsid(int(d)) == p.pid and open(f"/proc/{d}/comm").read().strip().startswith("irisd"): return int(d)
        except OSError: pass
def anon():
    for l in open(f"/proc/{irisd_pid()}/smaps_rollup"):
        if l.startswith("Anonymous:"): return int(l.split()[1]) * 1024
base = anon()
socks = []
for i in range(n):
    s = socket.socket(); s.bind((f"127.0.0.{2 + i % 4}", 0)); s.connect(("127.0.0.1", port)); socks.append(s)
time.sleep(2)
accepted = anon()
print("accept B/conn", round((accepted - base) / n), flush=True)
if stage != "accept":
    for i, s in enumerate(socks):
        client = f"mi0-{i}".encode()
        if stage == "will":
            topic = f"million/will/mi0-{i}".encode(); payload = b"gone"
            body = b"\x00\x04MQTT\x04\x06\x00\x1e" + struct.pack(">H", len(client)) + client + struct.pack(">H", len(topic)) + topic + struct.pack(">H", len(payload)) + payload
        else:
            body = b"\x00\x04MQTT\x04\x02\x00\x1e" + struct.pack(">H", len(client)) + client
        s.sendall(bytes([0x10, len(body)]) + body)
    for s in socks:
        s.settimeout(60)
        assert s.recv(4)[:2] == b"\x20\x02"
time.sleep(3)
print("connect B/conn", round((anon() - accepted) / n), "total", round((anon() - base) / n), flush=True)
print("holding", n, stage, flush=True)
# find the irisd pid (child of heaptrack possibly)
def irisd_pids():
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit(): continue
        try:
            if os.getsid(int(d)) == p.pid and open(f"/proc/{d}/comm").read().strip().startswith("irisd"): out.append(int(d))
        except OSError: pass
    return out
for pid in irisd_pids():
    r = {k: v for k, v in (l.split(":", 1) for l in open(f"/proc/{pid}/smaps_rollup") if ":" in l)}
    print("pid", pid, "Rss", r["Rss"].strip(), "Anon", r["Anonymous"].strip(), flush=True)
    os.kill(pid, signal.SIGKILL)
try:
    p.wait(timeout=300)
except subprocess.TimeoutExpired:
    os.killpg(p.pid, signal.SIGKILL)
