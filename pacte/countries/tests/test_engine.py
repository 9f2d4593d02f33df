"""The ranking engine (pure numpy): normalisations, missing data, scores, ranks, sensitivity."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pacte.countries import engine

NAN = np.nan


def test_min_max_maps_best_to_one_whatever_the_direction():
    x = np.array([10.0, 20.0, 40.0])
    higher, flat = engine.normalise_column(x, "higher", "min_max")
    lower, _ = engine.normalise_column(x, "lower", "min_max")
    assert not flat
    np.testing.assert_allclose(higher, [0.0, 1 / 3, 1.0])
    np.testing.assert_allclose(lower, [1.0, 2 / 3, 0.0])


def test_z_score_uses_population_std_and_is_negated_for_lower_is_better():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    expected = (x - 2.5) / np.sqrt(1.25)
    higher, _ = engine.normalise_column(x, "higher", "z_score")
    lower, _ = engine.normalise_column(x, "lower", "z_score")
    np.testing.assert_allclose(higher, expected)
    np.testing.assert_allclose(lower, -expected)


def test_rank_normalisation_averages_ties():
    x = np.array([5.0, 1.0, 5.0, 3.0])
    higher, _ = engine.normalise_column(x, "higher", "rank")
    # ascending ranks 0..3: 1.0 → 0, 3.0 → 1, the two 5.0 share (2 + 3) / 2 = 2.5; divided by n - 1 = 3
    np.testing.assert_allclose(higher, [2.5 / 3, 0.0, 2.5 / 3, 1 / 3])
    lower, _ = engine.normalise_column(x, "lower", "rank")
    np.testing.assert_allclose(lower, 1 - higher)


@pytest.mark.parametrize("method", engine.NORMALISATIONS)
def test_zero_spread_normalises_to_one_half_and_is_reported(method):
    values, flat = engine.normalise_column(np.array([7.0, 7.0, NAN]), "lower", method)
    assert flat
    np.testing.assert_array_equal(values[:2], [0.5, 0.5])
    assert np.isnan(values[2])
    ranking = engine.compute(
        np.array([[7.0, 1.0], [7.0, 2.0]]), [1, 1], ["higher", "higher"], [method, "min_max"]
    )
    assert ranking.zero_spread == [0]


def test_contributions_add_up_to_the_score_and_shares_to_one():
    raw = np.array([[10.0, 3.0, 50.0], [20.0, 1.0, 40.0], [30.0, 2.0, 45.0]])
    ranking = engine.compute(raw, [2, 1, 1], ["higher", "lower", "higher"], ["min_max", "rank", "z_score"])
    np.testing.assert_allclose(ranking.shares, [0.5, 0.25, 0.25])
    np.testing.assert_allclose(ranking.contributions.sum(axis=1), ranking.scores)
    np.testing.assert_allclose(ranking.contributions, ranking.normalised * ranking.shares)


def test_ranks_one_is_best_and_ties_share_the_better_rank_listed_by_key():
    raw = np.array([[1.0], [3.0], [3.0], [2.0]])
    ranking = engine.compute(raw, [1], ["higher"], ["min_max"], tie_keys=["AAA", "ZZZ", "BBB", "CCC"])
    np.testing.assert_array_equal(ranking.ranks, [4, 1, 1, 3])
    # order: the tie at rank 1 is listed by key (BBB before ZZZ)
    np.testing.assert_array_equal(ranking.order, [2, 1, 3, 0])


def test_exclude_drops_countries_missing_a_weighted_criterion_only():
    raw = np.array([[1.0, 5.0, NAN], [NAN, 4.0, 1.0], [3.0, 2.0, 2.0], [2.0, NAN, NAN]])
    ranking = engine.compute(raw, [1, 1, 0], ["higher"] * 3, ["min_max"] * 3, "exclude")
    np.testing.assert_array_equal(ranking.kept, [0, 2])  # row 0 lacks only the zero-weight criterion
    assert ranking.missing == {1: [0], 3: [1]}
    assert not ranking.imputed.any()
    assert ranking.contributions[0, 2] == 0.0
    assert np.isfinite(ranking.scores).all()


def test_impute_median_and_worst_flag_the_imputed_cells():
    raw = np.array([[1.0, 10.0], [NAN, 20.0], [3.0, NAN], [8.0, 30.0]])
    median = engine.compute(raw, [1, 1], ["higher", "lower"], ["min_max"] * 2, "impute_median")
    np.testing.assert_array_equal(median.kept, [0, 1, 2, 3])
    assert median.values[1, 0] == 3.0 and median.values[2, 1] == 20.0
    np.testing.assert_array_equal(
        median.imputed, [[False, False], [True, False], [False, True], [False, False]]
    )
    worst = engine.compute(raw, [1, 1], ["higher", "lower"], ["min_max"] * 2, "impute_worst")
    # higher is better → the worst is the minimum; lower is better → the maximum
    assert worst.values[1, 0] == 1.0 and worst.values[2, 1] == 30.0
    assert worst.imputed_with == {0: 1.0, 1: 30.0}


def test_all_zero_or_negative_weights_are_refused():
    with pytest.raises(engine.EngineError):
        engine.compute(np.ones((2, 2)), [0, 0], ["higher"] * 2, ["min_max"] * 2)
    with pytest.raises(engine.EngineError):
        engine.compute(np.ones((2, 2)), [1, -1], ["higher"] * 2, ["min_max"] * 2)


def test_sensitivity_with_zero_spread_keeps_every_rank_including_ties():
    raw = np.array([[1.0, 2.0], [3.0, 1.0], [3.0, 1.0], [0.0, 0.0], [2.0, 2.0]])
    ranking = engine.compute(raw, [1, 2], ["higher", "higher"], ["min_max", "z_score"])
    result = engine.sensitivity(ranking.normalised, [1, 2], draws=200, spread=0.0, seed=1, top_n=2)
    for stat in (result.rank_min, result.rank_max, result.rank_p5, result.rank_p95):
        np.testing.assert_array_equal(stat, ranking.ranks)
    np.testing.assert_array_equal(result.p_top_n, (ranking.ranks <= 2).astype(float))


def test_sensitivity_is_deterministic_for_a_seed_and_changes_with_it():
    rng = np.random.default_rng(5)
    normalised = rng.random((30, 6))
    weights = [1, 2, 3, 1, 0, 2]
    first = engine.sensitivity(normalised, weights, draws=500, spread=0.5, seed=7, top_n=5)
    again = engine.sensitivity(normalised, weights, draws=500, spread=0.5, seed=7, top_n=5)
    other = engine.sensitivity(normalised, weights, draws=500, spread=0.5, seed=8, top_n=5)
    np.testing.assert_array_equal(first.p_top_n, again.p_top_n)
    np.testing.assert_array_equal(first.rank_p95, again.rank_p95)
    assert not np.array_equal(first.p_top_n, other.p_top_n)
    assert (first.rank_min <= first.rank_p5).all() and (first.rank_p5 <= first.rank_p95).all()
    assert (first.rank_p95 <= first.rank_max).all()
    # Each draw has exactly top_n countries in the top N (no ties with random data).
    assert first.p_top_n.sum() == pytest.approx(5)


def test_zero_weights_stay_zero_under_perturbation():
    shares = engine.perturbed_shares([1, 0, 3], draws=1000, spread=0.25, seed=3)
    assert (shares[:, 1] == 0).all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    ratio = shares[:, 0] / shares[:, 2]
    assert ratio.min() >= 0.75 / 1.25 / 3 - 1e-12 and ratio.max() <= 1.25 / 0.75 / 3 + 1e-12


def test_rank_distribution_matches_numpy_inverted_cdf_percentiles():
    rng = np.random.default_rng(11)
    scores = rng.random((997, 9))
    ranks = engine.competition_ranks(scores)
    rank_min, rank_max, p5, p95, top = engine.rank_distribution(ranks, 3)
    np.testing.assert_array_equal(rank_min, ranks.min(axis=0))
    np.testing.assert_array_equal(rank_max, ranks.max(axis=0))
    np.testing.assert_array_equal(p5, np.quantile(ranks, 0.05, axis=0, method="inverted_cdf"))
    np.testing.assert_array_equal(p95, np.quantile(ranks, 0.95, axis=0, method="inverted_cdf"))
    np.testing.assert_allclose(top, (ranks <= 3).mean(axis=0))


# ---- properties ------------------------------------------------------------------------------------

values = st.floats(min_value=-1000, max_value=1000, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def problems(draw):
    n = draw(st.integers(min_value=2, max_value=8))
    k = draw(st.integers(min_value=1, max_value=4))
    raw = np.array([[draw(values) for _ in range(k)] for _ in range(n)])
    weights = [draw(st.integers(min_value=0, max_value=5)) for _ in range(k)]
    assume(sum(weights) > 0)
    directions = [draw(st.sampled_from(engine.DIRECTIONS)) for _ in range(k)]
    methods = [draw(st.sampled_from(engine.NORMALISATIONS)) for _ in range(k)]
    return raw, weights, directions, methods


@settings(max_examples=200, deadline=None)
@given(problems(), st.data())
def test_improving_a_value_never_lowers_the_rank(problem, data):
    raw, weights, directions, methods = problem
    i = data.draw(st.integers(min_value=0, max_value=raw.shape[0] - 1))
    j = data.draw(st.integers(min_value=0, max_value=raw.shape[1] - 1))
    step = data.draw(st.floats(min_value=0.001, max_value=500))
    before = engine.compute(raw, weights, directions, methods).ranks[i]
    better = raw.copy()
    # Raising a higher-is-better value (or lowering a lower-is-better one) is an improvement.
    better[i, j] += step if directions[j] == "higher" else -step
    after = engine.compute(better, weights, directions, methods).ranks[i]
    assert after <= before


@settings(max_examples=200, deadline=None)
@given(problems(), st.sampled_from([0.01, 0.5, 3.0, 7.25, 1000.0]))
def test_scaling_all_weights_changes_nothing(problem, factor):
    raw, weights, directions, methods = problem
    base = engine.compute(raw, weights, directions, methods)
    scaled = engine.compute(raw, [w * factor for w in weights], directions, methods)
    np.testing.assert_array_equal(base.ranks, scaled.ranks)
    np.testing.assert_allclose(base.scores, scaled.scores, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(problems(), st.integers(min_value=1, max_value=5))
def test_zero_spread_sensitivity_equals_the_ranking(problem, top_n):
    raw, weights, directions, methods = problem
    ranking = engine.compute(raw, weights, directions, methods)
    result = engine.sensitivity(ranking.normalised, weights, draws=20, spread=0.0, seed=0, top_n=top_n)
    np.testing.assert_array_equal(result.rank_min, ranking.ranks)
    np.testing.assert_array_equal(result.rank_max, ranking.ranks)
    np.testing.assert_array_equal(result.p_top_n, (ranking.ranks <= top_n).astype(float))


def test_sensitivity_does_not_depend_on_the_block_size(monkeypatch):
    rng = np.random.default_rng(2)
    normalised = rng.random((12, 4))
    whole = engine.sensitivity(normalised, [1, 2, 0, 1], draws=1000, spread=0.6, seed=3, top_n=4)
    monkeypatch.setattr(engine, "CHUNK", 97)
    blocks = engine.sensitivity(normalised, [1, 2, 0, 1], draws=1000, spread=0.6, seed=3, top_n=4)
    for name in ("rank_min", "rank_max", "rank_p5", "rank_p95", "p_top_n"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(blocks, name))
