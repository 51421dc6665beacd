"""The answer-distance step on distinct words (issue #10): the same values as on token clouds
(oracles: a plain linear program, POT's ot.emd2, gensim's wmdistance), and within the computed
bound where a cloud is quantised."""

import numpy as np
import ot
import pytest
from scipy.optimize import linprog
from scipy.spatial.distance import cdist

from fakes.long_answers import token_clouds
from gsmile_core.method.clouds import bound_cloud, distinct_cloud
from gsmile_core.method.distances import ground_cost, wasserstein_p, wmd
from gsmile_core.method.transport import cloud_distance, transport_cost


def _linear_program(a, b, cost):
    """The transport problem solved as a plain LP (HiGHS): an oracle independent of POT."""
    n, m = cost.shape
    rows = np.kron(np.eye(n), np.ones((1, m)))
    columns = np.kron(np.ones((1, n)), np.eye(m))
    return linprog(cost.ravel(), A_eq=np.vstack([rows, columns]), b_eq=np.concatenate([a, b]),
                   bounds=(0, None), method="highs").fun


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_distinct_words_with_counts_give_the_token_level_distance(p):
    rng = np.random.default_rng(4)
    for _ in range(60):
        x, y = token_clouds(rng)
        a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
        cost = cdist(x, y) ** p  # from differences: a shared word is exactly 0 away (ot.dist: ~1e-8)
        value = wasserstein_p(x, y, p)
        assert value == pytest.approx(_linear_program(a, b, cost) ** (1 / p), rel=1e-9, abs=1e-12)
        assert value == pytest.approx(ot.emd2(a, b, cost) ** (1 / p), rel=1e-7, abs=1e-12)


def test_the_difference_form_is_used_for_p1_only():
    """On 0, 1, 2 of a line, a = (½, ½, 0), b = (0, ½, ½): W1 = 1 either way, but for p = 2 the
    shared mass must move (shift everything by 1: cost 1), not stay (move ½ by 2: cost 2)."""
    points = np.array([[0.0], [1.0], [2.0]])
    a, b = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    for p, expected in ((1.0, 1.0), (2.0, 1.0)):
        cost = ground_cost(points, points, p)
        assert transport_cost(a, b, p, lambda r, c: cost[np.ix_(r, c)]) == pytest.approx(expected)
        assert ot.emd2(a, b, cost) == pytest.approx(expected)


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_a_quantised_distance_is_within_its_computed_bound(p):
    rng = np.random.default_rng(5)
    for _ in range(5):
        x, y = rng.normal(size=(300, 5)), rng.normal(size=(200, 5)) + rng.uniform(0, 1)
        qx, qy = bound_cloud(distinct_cloud(x), 16), bound_cloud(distinct_cloud(y), 16)
        assert qx.size <= 16 and qy.size <= 16 and qx.quantised and qy.quantised
        assert qx.counts.sum() == 300 and qy.counts.sum() == 200
        exact = ot.emd2(np.full(300, 1 / 300), np.full(200, 1 / 200), ot.dist(x, y, metric="euclidean") ** p) ** (1 / p)
        assert abs(cloud_distance(qx, qy, p) - exact) <= qx.error_bound(p) + qy.error_bound(p) + 1e-9



def test_long_answers_agree_with_gensim_wmdistance():
    """gensim's wmdistance on two ~300-word answers with repeated and shared words (p = 1: the
    distinct-words and the difference-form reductions both at work)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fakes.long_answers import glove_long_answers
    from gsmile_core.method.embed import get_embedder, glove_keyed_vectors, normalise_tokens

    black_box, glove, kv = glove_long_answers(300), get_embedder("glove"), glove_keyed_vectors()
    first, second = black_box("why do doctors swim in the ocean"), black_box("why do lawyers swim in the ocean")
    x, y = glove.embed(first), glove.embed(second)
    assert x.cloud.size < len(x.tokens) and set(x.tokens) & set(y.tokens)  # repeated and shared words
    theirs = kv.wmdistance(normalise_tokens(first), normalise_tokens(second), norm=False)
    assert wmd(x, y, 1.0) == pytest.approx(theirs, rel=1e-6)


@pytest.mark.parametrize("name", ["ks", "kuiper", "cvm", "ad", "wasserstein-1d"])
def test_sliced_distances_in_chunks_of_directions_equal_all_at_once(monkeypatch, name):
    """Long answers project a few directions at a time (bounded temporaries); the value is the
    mean over all directions either way."""
    from gsmile_core.method import sliced_distances
    from gsmile_core.method.distances import DISTANCES
    from gsmile_core.method.embed import EmbeddedText

    rng = np.random.default_rng(3)
    first = EmbeddedText(tokens=("w",) * 40, vectors=rng.normal(size=(40, 6)), out_of_vocabulary=())
    second = EmbeddedText(tokens=("w",) * 25, vectors=rng.normal(size=(25, 6)) + 0.3, out_of_vocabulary=())
    whole = DISTANCES.get(name)(first, second, 1.0)
    monkeypatch.setattr(sliced_distances, "CHUNK_ENTRIES", 65 * 5)  # 5 directions per chunk
    assert len(list(sliced_distances.projections(first, second))) == 7
    assert DISTANCES.get(name)(first, second, 1.0) == pytest.approx(whole, rel=1e-12)


def test_distinct_rows_are_numpys_unique_rows_even_when_keys_collide(monkeypatch):
    from gsmile_core.method import clouds

    rng = np.random.default_rng(8)
    rows = rng.normal(size=(12, 5))[rng.integers(0, 12, 200)]
    for direction in (None, np.zeros(5)):  # the fixed random key; a key shared by every row
        if direction is not None:
            monkeypatch.setattr(clouds, "_direction", lambda dimension: direction)
        points, inverse = clouds.distinct_rows(rows)
        expected = np.unique(rows, axis=0)
        np.testing.assert_array_equal(points[inverse], rows)
        assert points.shape == expected.shape
        np.testing.assert_array_equal(np.unique(points, axis=0), expected)
