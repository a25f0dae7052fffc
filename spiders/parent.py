"""The crawl child's tie to the process that started it: when the parent dies, the crawl stops.

An orphaned child would go on crawling with no one reading its events, record its run and
save conditional-GET validators, so that articles it never stored would hide behind a 304
next time. Three signs of a dead parent each lead to one graceful stop (the running
source ends `partial`, nothing more starts):
- stdin, a pipe the parent holds open, reaches EOF (any platform);
- on Linux, the kernel's parent-death signal (SIGHUP, set with prctl);
- a write to the events pipe fails (BrokenPipeError; spiders.events.EventWriter).
"""

from __future__ import annotations

import ctypes
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

logger = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# SIGHUP, not SIGTERM: Scrapy takes a second SIGTERM as "kill now", and the stdin watch
# usually notices the same death a moment later. The child has its own session, so no
# terminal sends it SIGHUP.
DEATH_SIGNAL = signal.SIGHUP


def on_parent_death(callback: Callable[[str], None]) -> None:
    """Linux: have the kernel signal this process when its parent dies, and call back then.

    The callback runs in the main thread, from the signal handler: it must only schedule.
    Elsewhere this does nothing; the stdin watch still applies.
    """
    if not sys.platform.startswith("linux"):
        return
    signal.signal(DEATH_SIGNAL, lambda signum, frame: callback("the parent process died"))
    set_death_signal(DEATH_SIGNAL)


def set_death_signal(signum: signal.Signals) -> None:
    """Linux: have the kernel send this process `signum` when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
            logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError) as exc:
        logger.warning("cannot ask for a parent-death signal: %s", exc)


def watch_stdin(stream: TextIO, callback: Callable[[str], None]) -> threading.Thread:
    """Call back (from a daemon thread) when `stream` ends: the parent closed it or died.

    The parent writes nothing after the job; anything that does arrive is ignored.
    """
    def watch() -> None:
        try:
            while stream.read(4096):
                pass
        except (OSError, ValueError):
            pass
        callback("stdin closed: the parent process is gone")

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
