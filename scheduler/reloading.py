"""When the running service takes up an edited config.yaml.

An edit is read only once the file has stopped changing (an editor or a copy may be half-way
through writing it), applied only if it validates, and refused if it would drop every source
or every subscriber without saying so (a truncated file validates as "nothing"). Loading runs
in a thread of its own that shutdown never waits for.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from scheduler.config import Config

T = TypeVar("T")
SETTLE_S = 2.0  # a changed file is read once it has looked the same for this long
STOP_POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class Stamp:
    """What tells one version of a file from another without reading it."""

    inode: int
    size: int
    mtime_ns: int


def stamp_of(path: Path) -> Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return Stamp(st.st_ino, st.st_size, st.st_mtime_ns)


Stamps = tuple[Stamp | None, ...]  # one per watched file, None for a file that is not there


class SettledFile:
    """Tells when a file, or a file it includes, has changed and then stayed unchanged for
    `settle` seconds.

    Asked at every poll; `clock` (monotonic seconds) is a parameter so that tests decide
    when time has passed.
    """

    def __init__(self, path: Path, *, settle: float = SETTLE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.paths, self.settle, self.clock = [path], settle, clock
        self._taken = self._stamps()  # the versions last applied or refused
        self._seen: Stamps = self._taken
        self._seen_at = clock()

    def _stamps(self) -> Stamps:
        return tuple(stamp_of(p) for p in self.paths)

    def ready(self) -> Stamps | None:
        """The new versions once they have settled; None while unchanged or still changing."""
        stamps, now = self._stamps(), self.clock()
        if stamps == self._taken:
            self._seen, self._seen_at = stamps, now
            return None
        if stamps != self._seen:
            self._seen, self._seen_at = stamps, now
            return None
        return stamps if stamps[0] is not None and now - self._seen_at >= self.settle else None

    def still(self, stamps: Stamps) -> bool:
        """Whether the files are still the versions `ready` gave (not rewritten while read)."""
        return self._stamps() == stamps

    def taken(self, stamps: Stamps) -> None:
        """These versions were applied or refused: not looked at again until they change."""
        self._taken = stamps

    def include(self, paths: list[Path]) -> None:
        """Watch these files too (the config just applied includes them), from their versions now."""
        wanted = [self.paths[0], *paths]
        if wanted != self.paths:
            self.paths = wanted
            self._taken = self._seen = self._stamps()


def dropped_everything(running: Config, new: Config) -> str | None:
    """Why `new` looks like an accident: every source or subscriber gone, and not on purpose.

    On purpose means the section is written out empty (`sources: []`); a file that merely
    lacks it (as a truncated one does) is refused.
    """
    for section in ("sources", "subscribers"):
        had, has = len(getattr(running, section)), len(getattr(new, section))
        if had and not has and section not in new.model_fields_set:
            return (f"the new config has no {section} (the running one has {had}); "
                    f"if that is meant, write '{section}: []'")
    return None


class Stopped(Exception):
    """The service was asked to stop before the config finished loading."""


def load_unless_stopped(load: Callable[[], T], stop: threading.Event) -> T:
    """load() in a daemon thread; its result or its exception, or Stopped once `stop` is set.

    A file that takes long to read (a hung network mount, a FIFO) then holds up neither the
    jobs nor shutdown: the thread is abandoned and ends with the process.
    """
    done = threading.Event()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(load())
        except BaseException as exc:  # handed to the caller, whatever it is
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="config-load", daemon=True).start()
    while not done.wait(STOP_POLL_S):
        if stop.is_set():
            raise Stopped
    if failure:
        raise failure[0]
    return outcome[0]
