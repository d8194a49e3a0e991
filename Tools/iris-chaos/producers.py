"""Producers: `iris-log append --cluster` processes fed unique values at a steady rate.

Each offset line a producer process prints acknowledges the oldest line it had not yet
acknowledged (the contract prints offsets in input order). When a process ends before
acknowledging every line it was given, those lines' outcome is unknown (they may be in the log,
at most once) and a new process takes over with new values.
"""

import bisect
import collections
import subprocess
import threading
import time

from processes import kill_pid

RESTART_PAUSE_SECONDS = 0.2


class Ledger:
    """What clients were told, shared by every producer (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acks = {}            # partition -> {value bytes: offset}
        self.unknown = {}         # partition -> set(value bytes)
        self.ack_times = {}       # partition -> [monotonic time of each acknowledgement], ascending
        self.anomalies = []       # contract breaches by the client tool, as messages

    def acknowledge(self, partition, value, offset):
        with self.lock:
            self.acks.setdefault(partition, {})[value] = offset
            self.ack_times.setdefault(partition, []).append(time.monotonic())

    def give_up(self, partition, values):
        with self.lock:
            self.unknown.setdefault(partition, set()).update(values)

    def note(self, message):
        with self.lock:
            self.anomalies.append(message)

    def first_ack_after(self, partition, moment):
        """The time of the partition's first acknowledgement after moment, or None."""
        with self.lock:
            times = self.ack_times.get(partition, [])
            index = bisect.bisect_right(times, moment)
            return times[index] if index < len(times) else None

    def counts(self):
        with self.lock:
            return (sum(len(values) for values in self.acks.values()),
                    sum(len(values) for values in self.unknown.values()))


class Producer:
    """One logical producer: a thread that keeps an append process running and feeds it."""

    def __init__(self, index, partition, command, seed, rate_per_second, ledger, stderr_path):
        self.index = index
        self.partition = partition
        self.command = command
        self.seed = seed
        self.interval_seconds = 1.0 / rate_per_second
        self.ledger = ledger
        self.stderr_path = stderr_path
        self.lock = threading.Lock()
        self.pending = collections.deque()     # values written to the current process, not yet acknowledged
        self.process = None
        self.reader = None
        self.sent = 0
        self.restarts = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._feed, name=f"producer-{index}", daemon=True)

    def start(self):
        self.thread.start()

    def _spawn(self):
        stderr = open(self.stderr_path, "a")
        try:
            process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                       text=True, bufsize=1, start_new_session=True)
        finally:
            stderr.close()
        reader = threading.Thread(target=self._read, args=(process,), name=f"producer-{self.index}-reader", daemon=True)
        self.process, self.reader = process, reader
        reader.start()

    def _feed(self):
        next_due = time.monotonic()
        while not self.stopping.is_set():
            with self.lock:
                alive = self.process is not None and self.process.poll() is None
            if not alive:
                self._retire()
                if self.stopping.is_set():
                    break
                if self.sent:
                    self.restarts += 1
                    time.sleep(RESTART_PAUSE_SECONDS)
                self._spawn()
            value = f"s{self.seed}-p{self.index}-{self.sent}"
            self.sent += 1
            with self.lock:
                self.pending.append(value.encode())
            try:
                self.process.stdin.write(value + "\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass   # the process is gone; the value stays pending and becomes unknown
            next_due += self.interval_seconds
            self.stopping.wait(max(0.0, next_due - time.monotonic()))
            next_due = max(next_due, time.monotonic() - self.interval_seconds)

    def _read(self, process):
        for line in process.stdout:
            text = line.strip()
            if not text:
                continue
            with self.lock:
                if not text.isdigit() or not self.pending:
                    self.ledger.note(f"producer {self.index}: unexpected output line {text!r} "
                                     f"with {len(self.pending)} lines pending")
                    continue
                value = self.pending.popleft()
            self.ledger.acknowledge(self.partition, value, int(text))

    def _retire(self):
        """Reaps the current process: its unacknowledged lines become unknown."""
        if self.process is None:
            return
        process = self.process
        try:
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        process.wait()
        self.reader.join(timeout=10)
        with self.lock:
            left = list(self.pending)
            self.pending.clear()
            self.process = None
        if left:
            self.ledger.give_up(self.partition, left)
            if process.returncode == 0:
                self.ledger.note(f"producer {self.index}: append exited 0 with {len(left)} lines unacknowledged")

    def begin_stop(self):
        """Stops feeding and closes stdin, so the process commits what it has and exits."""
        self.stopping.set()
        self.thread.join(timeout=5)
        with self.lock:
            process = self.process
        if process is not None:
            try:
                process.stdin.close()
            except (BrokenPipeError, OSError):
                pass

    def finish_stop(self, deadline):
        """Waits for the process until the monotonic deadline, then kills it by PID.
        Afterwards every value sent is acknowledged or unknown."""
        with self.lock:
            process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.ledger.note(f"producer {self.index}: append did not exit after stdin closed (killed)")
            kill_pid(process)
        self._retire()

    def force_stop(self):
        """Cleanup path: kill the current process by PID."""
        self.stopping.set()
        with self.lock:
            process = self.process
        if process is not None:
            kill_pid(process)
