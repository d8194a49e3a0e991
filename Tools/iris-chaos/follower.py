"""The committed-tail follower: one `iris-log tail --cluster --partition K --json` per partition
for the whole run, recording every (offset, value) it prints. A follower process that ends is
restarted from the offset after the last one it saw; committed records never change, so what it
saw must match the final logs."""

import json
import subprocess
import threading

from checker import record_from_json
from processes import kill_pid

RESTART_PAUSE_SECONDS = 0.5


class Follower:
    def __init__(self, partition, command_from, stderr_path):
        """command_from(offset) gives the tail command line starting at offset."""
        self.partition = partition
        self.command_from = command_from
        self.stderr_path = stderr_path
        self.lock = threading.Lock()
        self.observed = []          # [(offset, value bytes)]
        self.next_offset = 0
        self.restarts = 0
        self.problems = []
        self.process = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"follower-{partition}", daemon=True)

    def start(self):
        self.thread.start()

    def highest_offset(self):
        with self.lock:
            return self.next_offset - 1

    def _run(self):
        while not self.stopping.is_set():
            stderr = open(self.stderr_path, "a")
            try:
                process = subprocess.Popen(self.command_from(self.next_offset), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True)
            finally:
                stderr.close()
            with self.lock:
                self.process = process
                if self.stopping.is_set():
                    kill_pid(process)
            for line in process.stdout:
                try:
                    record = record_from_json(json.loads(line))
                except (ValueError, KeyError, TypeError) as error:
                    with self.lock:
                        self.problems.append(f"unparsable tail line {line[:120]!r}: {error}")
                    continue
                if record.is_system:
                    continue
                with self.lock:
                    self.observed.append((record.offset, record.value))
                    self.next_offset = max(self.next_offset, record.offset + 1)
            process.wait()
            if self.stopping.is_set():
                break
            self.restarts += 1
            self.stopping.wait(RESTART_PAUSE_SECONDS)

    def stop(self):
        with self.lock:
            self.stopping.set()
            process = self.process
        if process is not None:
            kill_pid(process)
        self.thread.join(timeout=10)

    def snapshot(self):
        with self.lock:
            return list(self.observed)
