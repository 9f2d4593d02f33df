#!/usr/bin/env python
"""Benchmark of the country-selection engine: ranking plus a weight-perturbation sensitivity analysis.

    .venv/bin/python bench/countries_bench.py [--countries 200 --criteria 15 --draws 10000 --repeat 5]

Generates random raw values (about 5 % missing, imputed with the median), random directions,
normalisations and weights with a fixed seed, then times ``engine.compute`` + ``engine.sensitivity``
(the whole computation a selection run does once its inputs are loaded) with ``time.perf_counter``,
``--repeat`` times, and prints the minimum and the median. No Django, no database: the engine is pure
numpy. Target (issue 5): 200 countries × 15 criteria × 10,000 draws in under 2 s.
Exit status 0 when the median meets the target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pacte.countries import engine  # noqa: E402

TARGET_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--criteria", type=int, default=15)
    parser.add_argument("--draws", type=int, default=engine.DEFAULT_DRAWS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    raw = rng.normal(50, 20, size=(args.countries, args.criteria))
    raw[rng.random(raw.shape) < 0.05] = np.nan
    weights = rng.integers(0, 6, size=args.criteria).astype(float)
    weights[0] = max(weights[0], 1.0)
    directions = rng.choice(engine.DIRECTIONS, size=args.criteria).tolist()
    normalisations = rng.choice(engine.NORMALISATIONS, size=args.criteria).tolist()
    iso3 = [f"C{i:03d}" for i in range(args.countries)]

    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        ranking = engine.compute(raw, weights, directions, normalisations, engine.IMPUTE_MEDIAN, iso3)
        result = engine.sensitivity(ranking.normalised, weights, draws=args.draws, seed=args.seed, top_n=10)
        timings.append(time.perf_counter() - start)
    assert result.rank_min.shape == (args.countries,)

    median = statistics.median(timings)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"countries={args.countries} criteria={args.criteria} draws={args.draws} repeat={args.repeat}\n"
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"1-min load average {load[0]:.2f} (shared machine); "
        f"Python {platform.python_version()}, numpy {np.__version__}\n"
        f"compute + sensitivity: min {min(timings) * 1000:.1f} ms, median {median * 1000:.1f} ms "
        f"(target < {TARGET_SECONDS:.0f} s: {'met' if median < TARGET_SECONDS else 'NOT met'})"
    )
    return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
