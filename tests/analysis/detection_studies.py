"""Simulated guessing studies for the detection tests and `bench/detection.py`, all drawn at
once for many studies (NumPy, seeded).

Every study has `per_group` samples in each of k groups; every rater guesses
`per_rater_per_group` samples of each group (drawn at random, as the platform balances
groups per rater), so the design is crossed and sparse. Each sample has a "looks like"
group of its own, drawn at random and unrelated to its true group. A guess names the true
group with probability `know`; otherwise it names the sample's look with probability
`follow`, else a group at random. With `know = 0` raters are at chance on average
(accuracy 1/k), yet one sample is guessed right by nearly everyone and the next by nearly
no one: the null with sample effects.
"""

from dataclasses import dataclass

import numpy as np

GROUPS = ("human", "ai", "collaboration")


@dataclass(frozen=True)
class Studies:
    """Guesses of `n_studies` studies, one row per study: codes into `GROUPS`."""

    true: np.ndarray
    guess: np.ndarray
    rater: np.ndarray
    sample: np.ndarray

    def study(self, index: int) -> tuple[np.ndarray, ...]:
        """One study's (true, guessed) group keys and (rater, sample) codes."""
        keys = np.array(GROUPS)
        return (
            keys[self.true[index]],
            keys[self.guess[index]],
            self.rater[index],
            self.sample[index],
        )


def guessing_studies(
    rng: np.random.Generator,
    n_studies: int,
    *,
    raters: int = 30,
    per_group: int = 12,
    per_rater_per_group: int = 4,
    know: float = 0.0,
    follow: float = 0.8,
) -> Studies:
    k = len(GROUPS)
    n_samples = k * per_group
    order = np.argsort(rng.random((n_studies, raters, k, per_group)), axis=-1)
    offset = per_group * np.arange(k)[None, None, :, None]
    sample = (order[..., :per_rater_per_group] + offset).reshape(n_studies, -1)
    true = sample // per_group
    looks = rng.integers(0, k, (n_studies, n_samples))
    look = np.take_along_axis(looks, sample, axis=1)
    draw = rng.random(sample.shape)
    at_random = rng.integers(0, k, sample.shape)
    guess = np.where(
        draw < know, true, np.where(draw < know + (1 - know) * follow, look, at_random)
    )
    rater = np.broadcast_to(np.repeat(np.arange(raters), k * per_rater_per_group), sample.shape)
    return Studies(true, guess, rater, sample)
