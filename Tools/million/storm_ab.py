"""The mass disconnect, A/B: for each irisd given, in turn, N idle clients (clean session 1, a QoS 0
will each, as Tools/million's) held by one child process that is SIGKILLed while a live pair
publishes QoS 0 every 5 ms. Prints, per binary, when all N wills reached their subscriber and the
live messages' latency (p50 / p99 / max) from the kill to 3 s after. Alternate the binaries
(before after before after): the machine is shared and noisy. Needs N + 100 descriptors.
    python3 Tools/million/storm_ab.py N IRISD_A IRISD_B IRISD_A IRISD_B
"""
import os, socket, struct, subprocess, sys, time, tempfile, signal, threading
n = int(sys.argv[1])
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]
def connect(port, cid, clean=True):
    s = socket.create_connection(("127.0.0.1", port))
    body = b"\x00\x04MQTT\x04" + (b"\x02" if clean else b"\x00") + b"\x00\x3c" + struct.pack(">H", len(cid)) + cid
    s.sendall(bytes([0x10, len(body)]) + body); assert s.recv(4)[:2] == b"\x20\x02"; return s
def subscribe(s, topic):
    body = struct.pack(">H", 1) + struct.pack(">H", len(topic)) + topic + b"\x00"
    s.sendall(bytes([0x82, len(body)]) + body); s.recv(5)
def run(irisd):
    data = tempfile.mkdtemp(prefix="lean-storm-"); port = free_port()
    p = subprocess.Popen([irisd, "serve", "--data", data, "--id", "1", "--cluster", f"1=127.0.0.1:{free_port()}", "--mqtt", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
        except OSError: time.sleep(0.3)
    watcher = connect(port, b"watcher"); subscribe(watcher, b"million/will/#")
    livesub = connect(port, b"livesub"); subscribe(livesub, b"live/t")
    livepub = connect(port, b"livepub")
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        socks = []
        for i in range(n):
            s = socket.socket(); s.bind((f"127.0.0.{2 + i % 4}", 0)); s.connect(("127.0.0.1", port))
            client = f"mi0-{i}".encode(); topic = f"million/will/mi0-{i}".encode(); payload = b"gone"
            body = b"\x00\x04MQTT\x04\x06\x00\x3c" + struct.pack(">H", len(client)) + client + struct.pack(">H", len(topic)) + topic + struct.pack(">H", len(payload)) + payload
            s.sendall(bytes([0x10, len(body)]) + body); socks.append(s)
        for s in socks: assert s.recv(4)[:2] == b"\x20\x02"
        os.write(w, b"x"); time.sleep(3600)
    os.read(r, 1); time.sleep(1)
    lat = []; stop = threading.Event(); kill_at = [None]
    def reader():
        buf = b""
        livesub.settimeout(0.2)
        while not stop.is_set():
            try: chunk = livesub.recv(65536)
            except socket.timeout: continue
            if not chunk: return
            buf += chunk
            while len(buf) >= 2:
                # remaining length (1 byte suffices: small packets)
                ln = buf[1]; 
                if len(buf) < 2 + ln: break
                pkt = buf[:2 + ln]; buf = buf[2 + ln:]
                if pkt[0] >> 4 == 3:
                    tl = struct.unpack(">H", pkt[2:4])[0]; sent = struct.unpack(">d", pkt[4 + tl:4 + tl + 8])[0]
                    now = time.monotonic()
                    if kill_at[0] and sent >= kill_at[0] - 0.001: lat.append((now - sent) * 1000)
    t = threading.Thread(target=reader); t.start()
    def publish():
        payload = struct.pack(">d", time.monotonic()); topic = b"live/t"
        body = struct.pack(">H", len(topic)) + topic + payload
        livepub.sendall(bytes([0x30, len(body)]) + body)
    for _ in range(100): publish(); time.sleep(0.005)
    kill_at[0] = time.monotonic(); os.kill(child, signal.SIGKILL); os.waitpid(child, 0)
    got = 0; wills_done = None
    watcher.setblocking(False)
    end = time.monotonic() + 3
    while time.monotonic() < end:
        publish(); time.sleep(0.005)
        try:
            while True:
                c = watcher.recv(1 << 16)
                if not c: break
                got += c.count(b"million/will/")
        except BlockingIOError: pass
        if got >= n and wills_done is None: wills_done = time.monotonic() - kill_at[0]
    time.sleep(0.5); stop.set(); t.join()
    p.terminate(); p.wait()
    lat.sort()
    q = lambda f: round(lat[min(len(lat) - 1, int(f * len(lat)))], 1)
    print(f"{os.path.basename(irisd)}: wills {got}/{n} in {wills_done and round(wills_done, 3)} s; live msgs {len(lat)} p50 {q(0.5)} p99 {q(0.99)} max {round(lat[-1], 1)} ms", flush=True)
for irisd in sys.argv[2:]:
    run(irisd)
