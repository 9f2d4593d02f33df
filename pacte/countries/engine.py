"""The ranking engine of the country selection: pure, vectorised numpy, no Django.

Input is a matrix of raw values (countries × criteria, ``NaN`` where a value is missing) with, per
criterion, a direction, a normalisation and a weight. The steps, all documented in the run:

1. **Missing data.** ``exclude`` drops every country that lacks a value for a criterion whose weight
   is above zero. ``impute_median`` / ``impute_worst`` replace a missing raw value by the median / the
   worst raw value of the countries that have one (per criterion, over the ranked countries) and flag
   the cell as imputed.
2. **Normalisation** per criterion, over the ranked countries, always so that higher is better:
   ``min_max`` (x − min) / (max − min), flipped (1 − …) when lower is better, so 1 is the best and 0
   the worst; ``z_score`` (x − mean) / std (population standard deviation), negated when lower is
   better; ``rank`` the percentile rank in [0, 1] (ties get the average of their ranks), flipped when
   lower is better. A criterion whose values are all equal normalises to 0.5 for everyone (reported in
   ``zero_spread``).
3. **Score** = Σ_j share_j × normalised_ij with share_j = w_j / Σ w, so the contributions
   share_j × normalised_ij add up to the score.
4. **Rank**: 1 + the number of countries with a higher score (by more than ``TIE_TOLERANCE``), so 1 is
   the best and equal scores share the better rank ("1, 2, 2, 4"); equal ranks are listed by their
   tie key (the ISO3 code).
5. **Sensitivity**: every weight is multiplied ``draws`` times by a factor drawn uniformly from
   [1 − spread, 1 + spread] (a zero weight stays zero) with a seeded ``numpy.random.Generator``, the
   weights are renormalised, every draw's scores come from ONE matrix product
   (draws × criteria @ criteria × countries), every draw is ranked with one ``argsort`` along the
   rows (see ``competition_ranks``), and the rank distribution of each country gives its minimum,
   maximum, 5th and 95th percentile (inverted-CDF, i.e. an observed rank) and its probability of
   being in the top N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MIN_MAX = "min_max"
Z_SCORE = "z_score"
RANK = "rank"
NORMALISATIONS = (MIN_MAX, Z_SCORE, RANK)

HIGHER = "higher"
LOWER = "lower"
DIRECTIONS = (HIGHER, LOWER)

EXCLUDE = "exclude"
IMPUTE_MEDIAN = "impute_median"
IMPUTE_WORST = "impute_worst"
POLICIES = (EXCLUDE, IMPUTE_MEDIAN, IMPUTE_WORST)

DEFAULT_DRAWS = 10_000
DEFAULT_SPREAD = 0.25
DEFAULT_SEED = 2022
CHUNK = 10_000  # draws ranked at once in the sensitivity analysis
# Scores closer than this are equal (sums of floating-point products differ in the last bits).
TIE_TOLERANCE = 1e-9


class EngineError(ValueError):
    """Input the engine cannot rank (the services turn it into a translated ValidationError first)."""


@dataclass
class Ranking:
    """The result of :func:`compute`. Row arrays refer to the kept countries, in input order."""

    kept: np.ndarray  # indices (into the input rows) of the ranked countries
    missing: dict[int, list[int]]  # input row → criteria (columns) it lacks (weight > 0 only)
    values: np.ndarray  # raw values after imputation (kept × criteria)
    imputed: np.ndarray  # bool (kept × criteria)
    normalised: np.ndarray  # (kept × criteria); NaN only in zero-weight columns
    shares: np.ndarray  # (criteria,) w / Σw
    contributions: np.ndarray  # (kept × criteria); they add up to ``scores``
    scores: np.ndarray  # (kept,)
    ranks: np.ndarray  # (kept,) int, 1 = best
    order: np.ndarray  # positions into ``kept`` from the best to the worst (ties by tie key)
    zero_spread: list[int] = field(default_factory=list)  # criteria normalised to 0.5 for everyone
    imputed_with: dict[int, float] = field(default_factory=dict)  # criterion → value imputed


@dataclass
class Sensitivity:
    draws: int
    spread: float
    seed: int
    top_n: int
    rank_min: np.ndarray
    rank_max: np.ndarray
    rank_p5: np.ndarray
    rank_p95: np.ndarray
    p_top_n: np.ndarray


def shares_of(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise EngineError("at least one criterion is needed")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise EngineError("weights must be finite and not negative")
    total = w.sum()
    if total <= 0:
        raise EngineError("all weights are zero")
    return w / total


def average_percentile_ranks(x: np.ndarray) -> np.ndarray:
    """Percentile rank of each value of ``x`` (no NaN) in [0, 1], ascending; ties get their average."""
    n = x.size
    if n < 2:
        return np.full(n, 0.5)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    new_group[1:] = xs[1:] != xs[:-1]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], n)
    average_position = (starts + ends - 1) / 2.0
    positions = np.empty(n)
    positions[order] = average_position[group]
    return positions / (n - 1)


def normalise_column(x: np.ndarray, direction: str, method: str) -> tuple[np.ndarray, bool]:
    """Normalise one criterion (NaN stays NaN); return the column and whether its spread is zero."""
    if direction not in DIRECTIONS:
        raise EngineError(f"unknown direction {direction!r}")
    if method not in NORMALISATIONS:
        raise EngineError(f"unknown normalisation {method!r}")
    out = np.full(x.shape, np.nan)
    present = ~np.isnan(x)
    values = x[present]
    if values.size == 0:
        return out, False
    if values.size == 1 or np.all(values == values[0]):
        out[present] = 0.5
        return out, True
    lower = direction == LOWER
    if method == MIN_MAX:
        lo, hi = values.min(), values.max()
        scaled = (values - lo) / (hi - lo)
        out[present] = 1.0 - scaled if lower else scaled
    elif method == Z_SCORE:
        std = values.std()
        if std == 0:  # equal up to rounding
            out[present] = 0.5
            return out, True
        z = (values - values.mean()) / std
        out[present] = -z if lower else z
    else:
        pct = average_percentile_ranks(values)
        out[present] = 1.0 - pct if lower else pct
    return out, False


def competition_ranks(scores: np.ndarray, tolerance: float = TIE_TOLERANCE) -> np.ndarray:
    """Ranks of each row of ``scores`` (draws × countries, or one vector): a country's rank is 1 + the
    number of countries whose score is higher by more than ``tolerance``, so 1 is the best and equal
    scores share the better rank ("1, 2, 2, 4"). Improving a country's score relative to every other
    never worsens its rank (no chained ties).

    Vectorised: one ``argsort`` along the rows, then one ``searchsorted`` over all the rows at once
    (each row shifted by a multiple of a gap wider than any row's range, so rows never mix)."""
    matrix = np.atleast_2d(np.asarray(scores, dtype=float))
    draws, n = matrix.shape
    if n == 0:
        return np.zeros((draws, 0) if np.ndim(scores) == 2 else (0,), dtype=np.int64)
    ascending = -matrix  # the best first once sorted
    order = np.argsort(ascending, axis=1, kind="stable")
    ordered = np.take_along_axis(ascending, order, axis=1)
    gap = float(ordered.max() - ordered.min()) + 4 * tolerance + 1.0
    offsets = (np.arange(draws, dtype=float) * gap)[:, None]
    flat = (ordered + offsets).ravel()
    # How many scores of the row are higher than this one by more than the tolerance.
    better = np.searchsorted(flat, flat - tolerance, side="left").reshape(draws, n)
    better -= np.arange(draws, dtype=np.int64)[:, None] * n
    ranks = np.empty((draws, n), dtype=np.int64)
    np.put_along_axis(ranks, order, better + 1, axis=1)
    return ranks if np.ndim(scores) == 2 else ranks[0]


def compute(
    raw: np.ndarray,
    weights: Sequence[float] | np.ndarray,
    directions: Sequence[str],
    normalisations: Sequence[str],
    policy: str = EXCLUDE,
    tie_keys: Sequence[str] | None = None,
) -> Ranking:
    """Rank the rows of ``raw`` (countries × criteria, NaN = missing). See the module docstring."""
    raw = np.asarray(raw, dtype=float)
    if raw.ndim != 2:
        raise EngineError("raw values must be a countries × criteria matrix")
    n, k = raw.shape
    shares = shares_of(weights)
    if len(shares) != k or len(directions) != k or len(normalisations) != k:
        raise EngineError("one weight, direction and normalisation per criterion")
    if policy not in POLICIES:
        raise EngineError(f"unknown missing-data policy {policy!r}")
    active = shares > 0
    missing_cells = np.isnan(raw) & active
    missing = {
        int(i): [int(j) for j in np.flatnonzero(missing_cells[i])]
        for i in np.flatnonzero(missing_cells.any(axis=1))
    }
    keep = ~missing_cells.any(axis=1) if policy == EXCLUDE else np.ones(n, dtype=bool)
    kept = np.flatnonzero(keep)
    values = raw[kept].copy()
    imputed = np.zeros(values.shape, dtype=bool)
    imputed_with: dict[int, float] = {}
    if policy != EXCLUDE:
        for j in range(k):
            column = values[:, j]
            gaps = np.isnan(column)
            present = column[~gaps]
            if not gaps.any() or present.size == 0:
                continue
            if policy == IMPUTE_MEDIAN:
                fill = float(np.median(present))
            else:
                fill = float(present.min() if directions[j] == HIGHER else present.max())
            column[gaps] = fill
            imputed[gaps, j] = True
            imputed_with[j] = fill
    normalised = np.empty(values.shape)
    zero_spread: list[int] = []
    for j in range(k):
        normalised[:, j], flat = normalise_column(values[:, j], directions[j], normalisations[j])
        if flat and active[j] and kept.size:
            zero_spread.append(j)
    if kept.size and np.isnan(normalised[:, active]).any():
        raise EngineError("a criterion with a weight above zero has no value for any country")
    contributions = np.where(active, np.nan_to_num(normalised, nan=0.0) * shares, 0.0)
    scores = contributions.sum(axis=1)
    ranks = competition_ranks(scores)
    keys = np.asarray(tie_keys, dtype=object)[kept] if tie_keys is not None else kept
    order = np.array(sorted(range(kept.size), key=lambda p: (ranks[p], keys[p])), dtype=np.int64)
    return Ranking(
        kept=kept,
        missing=missing,
        values=values,
        imputed=imputed,
        normalised=normalised,
        shares=shares,
        contributions=contributions,
        scores=scores,
        ranks=ranks,
        order=order,
        zero_spread=zero_spread,
        imputed_with=imputed_with,
    )


def rank_counts(ranks: np.ndarray) -> np.ndarray:
    """countries × (countries + 1) matrix: how many draws gave each country each rank (column 0 unused)."""
    draws, n = ranks.shape
    flat = (np.arange(n, dtype=np.int64)[None, :] * (n + 1) + ranks).ravel()
    return np.bincount(flat, minlength=n * (n + 1)).reshape(n, n + 1)


def distribution_from_counts(counts: np.ndarray, top_n: int) -> tuple[np.ndarray, ...]:
    """(rank_min, rank_max, rank_p5, rank_p95, p_top_n) per country from its rank counts.

    Percentiles are inverted-CDF (the smallest observed rank r with P(rank ≤ r) ≥ q), computed
    exactly in integers, without sorting the draws."""
    n = counts.shape[0]
    draws = int(counts[0].sum()) if n else 0
    cdf = np.cumsum(counts, axis=1)
    seen = counts > 0
    rank_min = np.argmax(seen, axis=1)
    rank_max = n - np.argmax(seen[:, ::-1], axis=1)
    rank_p5 = np.argmax(cdf * 100 >= 5 * draws, axis=1)
    rank_p95 = np.argmax(cdf * 100 >= 95 * draws, axis=1)
    p_top_n = cdf[:, min(max(top_n, 0), n)] / draws
    return rank_min, rank_max, rank_p5, rank_p95, p_top_n


def rank_distribution(ranks: np.ndarray, top_n: int) -> tuple[np.ndarray, ...]:
    """(rank_min, rank_max, rank_p5, rank_p95, p_top_n) per country from a draws × countries matrix."""
    return distribution_from_counts(rank_counts(ranks), top_n)


def perturbed_shares(
    weights: Sequence[float] | np.ndarray, draws: int, spread: float, seed: int
) -> np.ndarray:
    """draws × criteria matrix of renormalised perturbed weights (each row sums to 1)."""
    w = np.asarray(weights, dtype=float)
    shares_of(w)  # validates
    if not 0 <= spread < 1:
        raise EngineError("spread must be in [0, 1)")
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1.0 - spread, 1.0 + spread, size=(draws, w.size))
    perturbed = factors * w
    return perturbed / perturbed.sum(axis=1, keepdims=True)


def sensitivity(
    normalised: np.ndarray,
    weights: Sequence[float] | np.ndarray,
    draws: int = DEFAULT_DRAWS,
    spread: float = DEFAULT_SPREAD,
    seed: int = DEFAULT_SEED,
    top_n: int = 10,
) -> Sensitivity:
    """Rank ranges under random perturbations of the weights (see the module docstring)."""
    matrix = np.nan_to_num(np.asarray(normalised, dtype=float), nan=0.0)  # NaN only where weight is 0
    n = matrix.shape[0]
    if draws < 1 or n == 0:
        empty = np.zeros(n, dtype=np.int64)
        return Sensitivity(draws, spread, seed, top_n, empty, empty, empty, empty, np.zeros(n))
    shares = perturbed_shares(weights, draws, spread, seed)
    # In blocks of CHUNK draws (one block for the default 10,000), so that memory stays bounded; the
    # random draws are made at once above, so the result does not depend on the block size.
    counts = np.zeros((n, n + 1), dtype=np.int64)
    for start in range(0, draws, CHUNK):
        scores = shares[start : start + CHUNK] @ matrix.T  # draws × countries, one matrix product
        counts += rank_counts(competition_ranks(scores))
    rank_min, rank_max, rank_p5, rank_p95, p_top_n = distribution_from_counts(counts, top_n)
    return Sensitivity(draws, spread, seed, top_n, rank_min, rank_max, rank_p5, rank_p95, p_top_n)
