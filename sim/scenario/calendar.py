"""The calendar: weeks, quarters and years, and where a week stands in its period.

One step of the model is one week. A quarter is 13 weeks and a year 52, so
four quarters make a year exactly. Reward periods (``period: quarter`` or
``year`` in a scenario) start at week 0; the world also remembers the year
before week 0 (``PRIOR_WEEKS``) by quarter.
"""

from __future__ import annotations

from typing import Literal

QUARTER = 13
YEAR = 52
#: Weeks of each reward period a scenario can name.
WEEKS_PER: dict[str, int] = {"quarter": QUARTER, "year": YEAR}
#: The history each world keeps from before week 0: one year, by quarter.
PRIOR_WEEKS = YEAR

Period = Literal["quarter", "year"]


def is_period_end(week: int, period_weeks: int) -> bool:
    """Whether ``week`` is the last week of one of the periods of ``period_weeks`` weeks."""
    return (week + 1) % period_weeks == 0


def period_end(week: int, period_weeks: int) -> int:
    """The last week of the period that holds ``week``."""
    return (week // period_weeks + 1) * period_weeks - 1


def weeks_left(week: int, period_weeks: int) -> int:
    """Weeks after ``week`` until its period ends (0 in the period's last week)."""
    return period_end(week, period_weeks) - week
