"""What every part of the harness shares: its error and its log line."""

import sys
import time


class HarnessError(Exception):
    """A run that cannot go on: the message says what failed and what to do."""


def log(message):
    """One progress line on stderr (stdout carries only the JSON)."""
    print(f"[million {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
