"""Top functions of a py-spy raw profile (`py-spy record -f raw`): self and inclusive samples.

python -m bench.flame <profile.raw> [N]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

__all__ = ["top_functions"]


def top_functions(
    raw: Path, count: int = 12, skip_idle: bool = True
) -> dict[str, list[tuple[str, float]]]:
    """{'self': [(function, share of samples)], 'inclusive': [...]}, idle threads left out."""
    own, total, samples = Counter(), Counter(), 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, weight = line.rpartition(" ")
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] + ")"
            if " (" in f
            else f
            for f in stack.split(";")
        ]
        if skip_idle and any(
            word in frames[-1] for word in ("select", "wait ", "poll", "accept", "_wait_for_tstate")
        ):
            continue
        n = int(weight)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    share = lambda c: [(name, round(v / samples, 3)) for name, v in c.most_common(count)]  # noqa: E731
    return {"samples": samples, "self": share(own), "inclusive": share(total)}


if __name__ == "__main__":
    result = top_functions(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 12)
    print(f"{result['samples']} busy samples")
    for kind in ("self", "inclusive"):
        print(kind)
        for name, share in result[kind]:
            print(f"  {share:6.1%}  {name}")
