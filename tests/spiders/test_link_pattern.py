"""link_pattern runs in linear time: a backtracking pattern cannot stall a crawl on a long URL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from spiders.jobspec import SourceSpec

# With a backtracking engine, each extra "a" doubles the work: 2**60 steps for this URL.
PROBE = """
from spiders.jobspec import SourceSpec
from spiders.source_spiders import FeedSpider

spec = SourceSpec.model_validate({"id": "s", "type": "feed", "urls": ["https://x.org/feed"],
                                  "link_pattern": PATTERN})
spider = FeedSpider(source=spec)
url = "https://x.org/" + "a" * 60 + "!"
print(spider.link_re.search(url) is None, spider.link_re.search("https://x.org/aaa") is not None)
"""


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"^https://x\.org/(a|aa)+$"])
def test_a_catastrophic_pattern_matches_a_long_url_at_once(pattern: str) -> None:
    # A child process, so that a backtracking engine fails this test at the timeout instead of
    # holding the whole test run in C code that no signal interrupts.
    run = subprocess.run([sys.executable, "-c", PROBE.replace("PATTERN", repr(pattern))],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True"]


def test_look_around_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"no look-around or backreferences.*invalid perl operator"):
        SourceSpec.model_validate({"id": "s", "type": "feed", "urls": ["https://x.org/feed"],
                                   "link_pattern": r"(?<=/a/)\d+"})
