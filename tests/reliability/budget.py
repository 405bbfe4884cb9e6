"""How long the reliability suite runs, and what it tells at the end.

`make test` runs the short version of every part (about a minute in all). `make reliability`
sets GRIDCASE_RELIABILITY=long for the long one: minutes of load, several database outages, many
more generated inputs. Tests read their sizes from BUDGET and add what they held to REPORT, which
tests/reliability/conftest.py prints after the run.
"""

from __future__ import annotations

import os
import statistics
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    name: str
    load_seconds: float  # the mixed workload against gunicorn
    load_clients: int  # concurrent clients
    fault_clients: int  # the workload during which PostgreSQL is stopped hard
    fault_settle_seconds: float  # load before the first outage, and after each restart
    outages: int  # hard stops of PostgreSQL during that workload
    outage_seconds: float  # how long each outage lasts
    fuzz_examples: int  # schemathesis examples per operation and generation mode


SHORT = Budget(
    name="short",
    load_seconds=6,
    load_clients=12,
    fault_clients=8,
    fault_settle_seconds=2,
    outages=1,
    outage_seconds=2,
    fuzz_examples=3,
)
LONG = Budget(
    name="long",
    load_seconds=120,
    load_clients=24,
    fault_clients=16,
    fault_settle_seconds=20,
    outages=3,
    outage_seconds=10,
    fuzz_examples=60,
)

BUDGET = LONG if os.environ.get("GRIDCASE_RELIABILITY", "").lower() == "long" else SHORT


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0..1) of `values`, 0 when there are none."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


@dataclass
class Report:
    """What the suite held, survived and tried; printed at the end of the run."""

    lines: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        self._lock = threading.Lock()

    def add(self, section: str, line: str) -> None:
        with self._lock:
            self.lines.setdefault(section, []).append(line)


REPORT = Report()
SECTIONS = ("load held", "faults survived", "inputs tried")
