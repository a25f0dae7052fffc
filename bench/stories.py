"""Story grouping on the labelled set: pairwise precision and recall, and every wrong pair.

    .venv/bin/python bench/stories.py

The sets are tests/fixtures/stories/groups.yaml (23 events, 60 reports in kk/ru/en; the rules
were tuned on it) and heldout.yaml (6 events, 14 reports, written afterwards and never tuned
on); each report goes through the real matcher for its entities, as in a digest.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.matching.story_set import GROUPS, HELD_OUT, evaluate, load


def main() -> None:
    for name, path in (("labelled set", GROUPS), ("held-out set", HELD_OUT)):
        report(name, path)


def report(name: str, path: Path) -> None:
    t = time.perf_counter()
    items = load(path)
    s = evaluate(items)
    took = time.perf_counter() - t
    groups = len({it.group for it in items})
    print(f"{name}: {len(items)} reports in {groups} stories; {s.true_pairs} pairs belong together")
    print(f"pairwise precision {s.precision:.3f} ({s.correct_pairs}/{s.found_pairs}), "
          f"recall {s.recall:.3f} ({s.correct_pairs}/{s.true_pairs}); {took:.2f} s")
    for a, b in s.wrong:
        print(f"  merged, not one story: {a} | {b}")
    for a, b in s.missed:
        print(f"  missed: {a} | {b}")


if __name__ == "__main__":
    main()
