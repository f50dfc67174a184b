"""Stopping a foreground server cleanly on Ctrl-C (SIGINT) or SIGTERM.

`wxpub sandbox` and `wxpub preview --serve` run until the person presses Ctrl-C; that is their normal
way to stop, so it must exit 0 every time. Catching `KeyboardInterrupt` around a wait is not enough: a
signal that arrives just before the `try` (right after the "Ctrl-C to stop" banner, when a test or a
person reacts to it at once) or a second Ctrl-C during the shutdown raises out of the command and the
CLI reports 130 (interrupted). `stop_on_signals()` therefore installs handlers *before* the server
starts that set an event; the command waits on the event, shuts down, and returns. The first stop signal
also switches those signals to "ignore" at the OS level, and they stay ignored when the block ends, so a
second Ctrl-C during the shutdown or the interpreter's exit is absorbed (Python resets its own handlers
to the default, which kills the process with -2, during finalisation; an ignored signal stays ignored).
When no signal arrived, the previous handlers are restored. Callers that keep running afterwards (tests)
restore them themselves.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals(signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[threading.Event]:
    """An event set by the first of `signals`; inside the block those signals never raise.

    Outside the main thread (where Python cannot install handlers) the event is only set by a
    `KeyboardInterrupt` escaping the block.
    """
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)  # we are stopping: further Ctrl-C change nothing

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in signals:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield stop
    except KeyboardInterrupt:
        stop.set()
    finally:
        if not stop.is_set():
            for sig, old in previous.items():
                if old is not None:  # None: the handler was not installed from Python; leave ours
                    signal.signal(sig, old)


def wait_for(stop: threading.Event, poll: float = 0.2) -> None:
    """Block until `stop` is set (polling, so a signal handler always gets to run promptly)."""
    while not stop.wait(poll):
        pass
