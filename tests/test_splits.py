"""The seeded train/validation split that every exercise uses."""

import numpy as np
import pytest

from digitstudy.data.splits import random_split, split_training_set


def test_random_split_is_seeded_disjoint_and_random():
    train, val = random_split(1000, 200, seed=5)
    assert len(val) == 200 == len(set(val)) and not set(train) & set(val) and len(train) + len(val) == 1000
    np.testing.assert_array_equal(val, random_split(1000, 200, seed=5)[1])
    assert not np.array_equal(val, random_split(1000, 200, seed=6)[1])
    assert not np.array_equal(val, np.arange(800, 1000))  # random, not the last rows
    with pytest.raises(ValueError, match="validation_size must lie in 1..9"):
        random_split(10, 10, seed=0)


@pytest.mark.parametrize("subset, count", [(None, 500), (100, 100), (900, 500)])
def test_split_training_set_takes_the_first_subset(subset, count):
    train, val = split_training_set(500, subset, 20, seed=0)
    assert len(train) + len(val) == count and max(train.max(), val.max()) < count
