"""A dependency-free progress bar for long seeding steps."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, width: int = 30) -> None:
        self.label, self.total, self.width = label, max(total, 1), width
        self.done = 0
        self.started = time.perf_counter()
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self._last_draw > 0.2 or self.done >= self.total:
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        filled = int(self.width * min(self.done, self.total) / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if self.done >= self.total else ""
        sys.stderr.write(
            f"\r  {self.label:<28} [{bar}] {self.done:>7}/{self.total} "
            f"{now - self.started:6.1f}s{end}"
        )
        sys.stderr.flush()

    def finish(self) -> float:
        if self.done < self.total:
            self.done = self.total
            self._draw(time.perf_counter())
        return time.perf_counter() - self.started
