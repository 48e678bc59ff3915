"""The pilot plan: a scenario, its validated ``pilot:`` section, its arms and its size.

A :class:`PilotPlan` is what every simulated pilot and experiment matrix
starts from: the arms' programs and labels, the allocation shares, the
pilot's size and duration. A :class:`Size` becomes a partner count only in a
given world, so a setting that does not fit that world is raised as a
:class:`PilotInputError` from the workers and reported as bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.pilot.spec import PilotSpec
from sim.scenario.program import Program
from sim.scenario.schema import Scenario


class PilotInputError(ValueError):
    """A pilot setting that does not fit a world (raised in workers, reported as bad input)."""

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(field, expected)
        self.field, self.expected = field, expected


@dataclass(frozen=True)
class Size:
    """A pilot size: a partner count, or a share of the world's eligible partners."""

    partners: int | None
    share: float | None
    field: str

    def resolve(self, eligible_count: int) -> int:
        """The number of pilot partners in a world with ``eligible_count`` eligible."""
        share = 1.0 if self.share is None else self.share
        n = self.partners if self.partners is not None else round(share * eligible_count)
        if n > eligible_count:
            raise PilotInputError(
                self.field, f"expected at most the {eligible_count} eligible partners, got {n}"
            )
        return n


@dataclass(frozen=True)
class PilotPlan:
    """A scenario, its validated ``pilot:`` section and the root seed."""

    scenario: Scenario
    spec: PilotSpec
    seed: int

    @property
    def programs(self) -> list[Program]:
        """Control (the baseline), then each design arm."""
        return self.spec.programs(self.scenario)

    @property
    def labels(self) -> list[str]:
        """Unique arm labels: the program names, numbered where they repeat."""
        labels: list[str] = []
        for program in self.programs:
            label, k = program.name, 2
            while label in labels:
                label, k = f"{program.name} #{k}", k + 1
            labels.append(label)
        return labels

    @property
    def shares(self) -> list[float]:
        """Allocation shares, control first."""
        return self.spec.shares(self.scenario)

    @property
    def size(self) -> Size:
        """The pilot size the section asks for."""
        field = "pilot.partners" if self.spec.partners is not None else "pilot.share"
        return Size(self.spec.partners, self.spec.share, field)

    @property
    def interim_weeks(self) -> int | None:
        """Weeks before the interim look (at least 1), or ``None`` without one."""
        interim = self.spec.interim
        return None if interim is None else max(1, int(interim.at * self.spec.weeks))

    def at(self, weeks: int) -> Scenario:
        """The scenario with the pilot's duration as its horizon."""
        return self.scenario.model_copy(update={"horizon_weeks": weeks})

    def resized(self, size: Size, weeks: int) -> PilotPlan:
        """The same plan for a pilot of another size and duration."""
        spec = self.spec.model_copy(
            update={"partners": size.partners, "share": size.share, "weeks": weeks}
        )
        return replace(self, spec=spec)
