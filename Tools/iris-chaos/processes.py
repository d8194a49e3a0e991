"""Processes the harness starts: irisd nodes and bounded one-shot iris-log commands.

Every process is started in its own session (so a Ctrl-C at the terminal reaches only the
harness, which then stops them itself) and is signalled by its PID only.
"""

import os
import signal
import subprocess
import time

TERM_WAIT_SECONDS = 20


def run_command(arguments, timeout_seconds):
    """Runs a command to completion within a bound: (exit code, stdout, stderr). A command
    still running at the bound is killed by PID and reported with exit code None."""
    process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout_seconds)
        return process.returncode, stdout, stderr
    except subprocess.TimeoutExpired:
        kill_pid(process)
        stdout, stderr = process.communicate()
        return None, stdout, stderr + f"\n(killed after {timeout_seconds} s)"


def kill_pid(process):
    """SIGKILL to one child by PID and reap it; quiet if it is already gone."""
    if process.poll() is None:
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


class Node:
    """One irisd process: the same arguments at every (re)start, output appended to one log."""

    def __init__(self, node_id, address, port, data_dir, log_path, irisd, cluster_spec, partitions, replicas):
        self.node_id = node_id
        self.address = address
        self.port = port
        self.data_dir = data_dir
        self.log_path = log_path
        self.arguments = [irisd, "--data", data_dir, "--id", str(node_id), "--cluster", cluster_spec,
                          "--partitions", str(partitions), "--replicas", str(replicas)]
        self.process = None
        self.paused = False
        self.expected_down = False   # killed on purpose, waiting for its restart
        self.starts = 0

    def _mark(self, text):
        with open(self.log_path, "a") as log:
            log.write(f"\n===== iris-chaos {time.strftime('%H:%M:%S')} node {self.node_id}: {text} =====\n")

    def start(self):
        """Starts (or restarts) the node."""
        self._mark("start " + " ".join(self.arguments))
        log = open(self.log_path, "a")
        try:
            self.process = subprocess.Popen(self.arguments, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        finally:
            log.close()
        self.paused = False
        self.expected_down = False
        self.starts += 1

    def running(self):
        return self.process is not None and self.process.poll() is None

    def exited_unexpectedly(self):
        """The exit code if the node died without the harness killing it, else None."""
        if self.process is None or self.expected_down:
            return None
        return self.process.poll()

    def signal(self, signum):
        if self.running():
            os.kill(self.process.pid, signum)

    def kill9(self):
        """kill -9: the node must lose nothing it acknowledged."""
        self._mark("kill -9")
        self.expected_down = True
        if self.paused:
            self.paused = False
        if self.process is not None:
            kill_pid(self.process)

    def pause(self):
        self._mark("SIGSTOP")
        self.signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.paused:
            self._mark("SIGCONT")
            self.signal(signal.SIGCONT)
            self.paused = False

    def terminate(self, wait_seconds=TERM_WAIT_SECONDS):
        """SIGTERM and wait for a clean exit: (exited in time, exit code). A node that does
        not exit in time is killed with SIGKILL."""
        if not self.running():
            return True, (self.process.returncode if self.process else None)
        self.resume()
        self._mark("SIGTERM")
        self.expected_down = True
        self.signal(signal.SIGTERM)
        try:
            return True, self.process.wait(timeout=wait_seconds)
        except subprocess.TimeoutExpired:
            kill_pid(self.process)
            return False, None

    def force_stop(self):
        """Cleanup path: SIGCONT then SIGKILL by PID, whatever state the node is in."""
        if self.process is not None and self.process.poll() is None:
            self.expected_down = True
            try:
                os.kill(self.process.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            kill_pid(self.process)

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError as error:
            return f"(no log: {error})"
