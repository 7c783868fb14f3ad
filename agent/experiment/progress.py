"""The progress line of an experiment: what is done, what is left, and how long runs took."""

from __future__ import annotations

from typing import Any

from agent.experiment.plan import PlannedRun


class Progress:
    """Tracks the state of every planned run of one ``experiment run`` invocation."""

    def __init__(self, name: str, budget: str, runs: list[PlannedRun], states: list[str]) -> None:
        self.name, self.budget, self.runs = name, budget, runs
        self.states = list(states)
        self.seconds: list[float | None] = [None] * len(runs)

    def finish(self, index: int, seconds: float) -> None:
        """Mark run ``index`` done after ``seconds`` of work."""
        self.states[index] = "done" if seconds else "reused"
        self.seconds[index] = seconds

    def line(self) -> str:
        """``name (budget): N runs: D done, L left (S stale) - next: run ids``."""
        done = sum(s in ("done", "reused") for s in self.states)
        left = [r.run_id for r, s in zip(self.runs, self.states, strict=True)
                if s not in ("done", "reused")]  # fmt: skip
        stale = self.states.count("stale")
        text = f"{self.name} ({self.budget}): {len(self.runs)} runs: {done} done, {len(left)} left"
        if stale:
            text += f" ({stale} with a record of other code or settings, redone)"
        worked = [s for s in self.seconds if s]
        if worked:
            text += f"; this sitting {sum(worked) / 60:.1f} min for {len(worked)} runs"
        if left:
            shown = ", ".join(left[:4]) + (f", ... (+{len(left) - 4})" if len(left) > 4 else "")
            text += f"; next: {shown}"
        return text

    def listing(self) -> str:
        """One line per planned run with its state."""
        return "\n".join(f"  {s:<9} {r.run_id:<40} {r.config.task}"
                         for r, s in zip(self.runs, self.states, strict=True))  # fmt: skip

    def summary(self) -> list[dict[str, Any]]:
        """Per run: id, state and the seconds this invocation spent on it."""
        return [{"run_id": r.run_id, "state": s, "seconds": t}
                for r, s, t in zip(self.runs, self.states, self.seconds, strict=True)]  # fmt: skip
