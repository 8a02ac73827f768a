"""Simulated participants for the demo and for tests whose truth is known.

Each simulated rater has a leniency (some score everything higher), each sample a quality
of its own, and every score adds noise and is rounded to the scale: the structure the
analysis's mixed model expects from real raters. A few raters are careless (they score at
random, attention checks included) and a few are speeders (seconds per item).

In a pairwise study each rater compares the two samples of a pair: the one whose group
mean plus quality plus noise (and `position_bias` points for A) is higher wins; a
difference under `tie_margin` is a tie when the study allows ties, and the strength, when
asked, grows with the difference. A careless rater chooses at random.

What each rater is given is not simulated: they consent, get their items and submit their
scores through the same services a live rater's requests call (`ratings.services`), with
a fake clock that advances by the simulated reading time. So the assignment rule, the
slots, the attention checks and the screen-out are the real ones, and a simulated study
holds exactly the rows live raters with the same seeds and scores would leave.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from ratings import services
from ratings.models import Participant
from studies.models import Sample, Study

# Simulated raters arrive this far apart and are driven one after the other; the last one
# arrives a day before the simulation runs, so no time in the study lies in the future.
ARRIVAL_GAP = timedelta(minutes=7)
READING_INSTRUCTIONS = timedelta(seconds=60)
STRENGTHS = ("slightly", "clearly", "much")


@dataclass(frozen=True)
class RaterModel:
    """True group means and the spread of each effect, in scale points."""

    group_means: dict[str, float]
    leniency_sd: float = 0.8
    quality_sd: float = 0.7
    noise_sd: float = 1.1
    careless_share: float = 0.08
    speeder_share: float = 0.05
    position_bias: float = 0.0
    tie_margin: float = 0.3


@dataclass(frozen=True)
class _Rater:
    """One simulated rater's traits, drawn when they arrive."""

    seed: int
    careless: bool
    speeder: bool
    leniency: float

    @classmethod
    def draw(cls, rng, model: RaterModel) -> "_Rater":
        return cls(
            seed=int(rng.integers(0, 2**62)),
            careless=bool(rng.random() < model.careless_share),
            speeder=bool(rng.random() < model.speeder_share),
            leniency=float(rng.normal(0, model.leniency_sd)),
        )


class _Simulation:
    """The study's scale, criteria and samples, read once, and the one generator every
    random number comes from, drawn in a fixed order: the samples' qualities (by id), then
    rater by rater their traits and, item by item, the reading time, the score of each
    criterion and the guess."""

    def __init__(self, *, study: Study, model: RaterModel, rng: np.random.Generator) -> None:
        self.study, self.model, self.rng = study, model, rng
        self.samples = {s.pk: s for s in study.samples.select_related("group").order_by("pk")}
        self.quality = {
            pk: float(rng.normal(0, model.quality_sd))
            for pk, sample in self.samples.items()
            if not sample.is_attention_check
        }
        self.criteria = [criterion["key"] for criterion in study.criteria]
        self.labels = sorted(study.guess_labels or {}) if study.ask_source_guess else []
        self.steps = round((study.scale_max - study.scale_min) / study.scale_step)

    def on_scale(self, raw: float) -> float:
        study = self.study
        steps = min(self.steps, max(0, round((raw - study.scale_min) / study.scale_step)))
        return float(study.scale_min + steps * study.scale_step)

    def score(self, rater: _Rater, sample: Sample) -> float:
        """A careless rater's score is uniform over the scale's steps (so they fail
        attention checks at random); an attentive rater gives a check its lowest expected
        score, and a sample its group's mean plus their leniency, its quality and noise."""
        if rater.careless:
            return self.on_scale(
                self.study.scale_min + self.rng.integers(0, self.steps + 1) * self.study.scale_step
            )
        if sample.is_attention_check:
            return float(sample.expected_min)
        true = self.model.group_means.get(sample.group.key, 6.0)
        noise = self.rng.normal(0, self.model.noise_sd)
        return self.on_scale(true + rater.leniency + self.quality[sample.pk] + noise)

    def worth(self, rater: _Rater, sample: Sample) -> float:
        """How good a regular sample seems to an attentive rater at this moment."""
        true = self.model.group_means.get(sample.group.key, 6.0)
        return true + self.quality[sample.pk] + self.rng.normal(0, self.model.noise_sd)

    def choose(self, rater: _Rater, first: Sample, second: Sample) -> dict[str, str]:
        """A pair's answer: careless at random; attentive, the regular sample of an
        attention pair, or the one that seems better (ties and strength as above)."""
        study, rng = self.study, self.rng
        if rater.careless:
            options = ["a", "b", "tie"] if study.allow_ties else ["a", "b"]
            choice = options[int(rng.integers(len(options)))]
            return {"choice": choice, "strength": STRENGTHS[int(rng.integers(3))]}
        if first.is_attention_check or second.is_attention_check:
            return {"choice": "b" if first.is_attention_check else "a", "strength": "much"}
        difference = self.worth(rater, first) - self.worth(rater, second)
        difference += self.model.position_bias
        if study.allow_ties and abs(difference) < self.model.tie_margin:
            return {"choice": "tie", "strength": ""}
        size = abs(difference)
        strength = STRENGTHS[0 if size < 1 else 1 if size < 2.5 else 2]
        return {"choice": "a" if difference > 0 else "b", "strength": strength}

    def answer(self, rater: _Rater, assignment) -> dict[str, str]:
        """The values a rater posts for an item: scores, or a pair's choice."""
        sample = self.samples[assignment.sample_id]
        if assignment.sample_b_id:
            return self.choose(rater, sample, self.samples[assignment.sample_b_id])
        return {key: f"{self.score(rater, sample):g}" for key in self.criteria}

    def rate(self, participant: Participant, rater: _Rater, clock: datetime) -> int:
        """Drive one participant through the services of the rating page, its GET and then
        its POSTs, until the service says they are done; return the ratings (a pairwise
        study: the comparisons) stored."""
        study, rng = self.study, self.rng
        stored = 0
        assignment = services.assignment_next(participant=participant, study=study, now=clock)
        while assignment is not None:
            seconds = rng.uniform(1.5, 4) if rater.speeder else rng.lognormal(np.log(22), 0.5)
            values = self.answer(rater, assignment)
            counted = 1 if assignment.sample_b_id else len(values)
            guess = self.labels[int(rng.integers(len(self.labels)))] if self.labels else ""
            clock += timedelta(seconds=float(seconds))
            submitted, assignment = services.rating_submit_and_next(
                participant=participant,
                item=assignment.token,
                values=values,
                guess=guess,
                study=study,
                now=clock,
            )
            stored += 0 if submitted.repeated else counted
        return stored


@transaction.atomic
def study_simulate_raters(*, study: Study, raters: int, seed: int, model: RaterModel) -> int:
    """Add up to `raters` simulated participants, who rate until the rule says they are
    done; return the ratings stored. Like the welcome page, it takes no one once no sample
    has a free slot. The same seed on the same study gives the same rows."""
    if study.status != Study.Status.OPEN:
        raise ValueError(f"study {study.slug} must be open to take ratings")
    simulation = _Simulation(study=study, model=model, rng=np.random.default_rng(seed))
    start = timezone.now() - timedelta(days=1) - ARRIVAL_GAP * raters
    stored = 0
    for index in range(raters):
        arrival = start + ARRIVAL_GAP * index
        if not services.study_has_room(study=study, now=arrival):
            break
        rater = _Rater.draw(simulation.rng, model)
        participant = services.participant_consent(study=study, is_simulated=True)
        # The consent service draws a secret seed, as it must for a live rater; a simulated
        # one takes the seed (and the time) of the simulation before their first item.
        Participant.objects.filter(pk=participant.pk).update(seed=rater.seed, consented_at=arrival)
        participant.seed, participant.consented_at = rater.seed, arrival
        stored += simulation.rate(participant, rater, arrival + READING_INSTRUCTIONS)
        # Who was careless or a speeder: the tests tell raters apart by it (the analysis
        # never reads it; it finds suspect raters from their ratings alone).
        participant.refresh_from_db(fields=["flags"])
        participant.flags = {
            **participant.flags,
            "simulated": {"careless": rater.careless, "speeder": rater.speeder},
        }
        participant.save(update_fields=["flags"])
    return stored
