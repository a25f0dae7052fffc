"""When the service takes up an edited config.yaml: settled, valid, and not emptied by accident."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from scheduler.config import load_config
from scheduler.reloading import SettledFile, Stopped, dropped_everything, load_unless_stopped

CONFIG = """\
watchlists:
  - id: w
    entities: [{id: e, name: Amin Eleusinov}]
sources:
  - {id: s, type: feed, url: "https://example.org/feed"}
subscribers:
  - {id: a, watchlists: [w], channels: [{type: file, path: out}]}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rewrite(path: Path, text: str) -> None:
    """Write, and move the mtime on: two writes within one timestamp tick still differ."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_an_edit_is_read_only_once_it_has_stopped_changing(tmp_path: Path) -> None:
    path, clock = tmp_path / "config.yaml", Clock()
    rewrite(path, CONFIG)
    watch = SettledFile(path, settle=2.0, clock=clock)
    assert watch.ready() is None, "unchanged"
    rewrite(path, CONFIG[:40])  # an editor half-way through saving
    assert watch.ready() is None
    clock.now += 1.5
    rewrite(path, CONFIG[:80])  # still writing
    assert watch.ready() is None
    clock.now += 1.9
    assert watch.ready() is None, "unchanged for 1.9 s only"
    rewrite(path, CONFIG + "# saved\n")
    clock.now += 1.0
    assert watch.ready() is None
    clock.now += 2.0
    stamp = watch.ready()
    assert stamp is not None and watch.still(stamp)
    assert watch.ready() == stamp, "ready until taken"
    watch.taken(stamp)
    clock.now += 10
    assert watch.ready() is None, "taken: not read again until it changes"


def test_a_file_rewritten_while_it_is_read_is_not_taken(tmp_path: Path) -> None:
    path, clock = tmp_path / "config.yaml", Clock()
    rewrite(path, CONFIG)
    watch = SettledFile(path, settle=2.0, clock=clock)
    rewrite(path, CONFIG + "# one\n")
    watch.ready()
    clock.now += 2.0
    stamp = watch.ready()
    assert stamp is not None
    rewrite(path, CONFIG + "# two\n")
    assert not watch.still(stamp)
    assert watch.ready() is None, "the new version settles again first"


def test_an_atomic_save_is_a_new_version_even_with_the_same_size_and_mtime(tmp_path: Path) -> None:
    path, clock = tmp_path / "config.yaml", Clock()
    path.write_text(CONFIG, encoding="utf-8")
    watch = SettledFile(path, settle=2.0, clock=clock)
    st = path.stat()
    tmp = tmp_path / "config.yaml.tmp"
    tmp.write_text(CONFIG.replace("id: a", "id: b"), encoding="utf-8")
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, path)  # write, then rename: the way an admin should save
    watch.ready()
    clock.now += 2.0
    assert watch.ready() is not None


def test_dropping_every_source_or_subscriber_needs_saying_so(tmp_path: Path) -> None:
    running = load_config(write(tmp_path / "running.yaml", CONFIG))
    cut = load_config(write(tmp_path / "cut.yaml", CONFIG[: CONFIG.index("sources:")]))
    assert dropped_everything(running, cut) == (
        "the new config has no sources (the running one has 1); if that is meant, write 'sources: []'")
    no_subscribers = load_config(write(tmp_path / "subs.yaml", CONFIG[: CONFIG.index("subscribers:")]))
    assert dropped_everything(running, no_subscribers) is not None
    meant = load_config(write(tmp_path / "meant.yaml", CONFIG[: CONFIG.index("sources:")]
                              + "sources: []\nsubscribers: []\n"))
    assert dropped_everything(running, meant) is None
    two = CONFIG.replace("subscribers:", '  - {id: t, type: feed, url: "https://example.org/t"}\nsubscribers:')
    two_sources = load_config(write(tmp_path / "two.yaml", two))
    assert dropped_everything(two_sources, running) is None, "fewer is fine"
    assert dropped_everything(cut, cut) is None, "nothing to drop"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_loading_that_never_returns_gives_way_to_stop() -> None:
    release, stop = threading.Event(), threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        load_unless_stopped(release.wait, stop)  # would block for ever
    release.set()


def test_loading_hands_back_its_result_or_its_error() -> None:
    stop = threading.Event()
    assert load_unless_stopped(lambda: 42, stop) == 42

    def bad() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        load_unless_stopped(bad, stop)
