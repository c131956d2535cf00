"""The groundedness collection's rules (docs/groundedness.md): the claim check that routes replies to research,
the correct / incorrect majority that becomes the GROUNDED discriminator's data, and the evaluation form's
groundedness / informativeness / citation-accuracy majority."""

from __future__ import annotations

from annotation.rules.base import AggregationRule, answer_is

CLAIM, COMMON_KNOWLEDGE, NEEDS_RESEARCH = "claim", "common_knowledge", "needs_research"


class ClaimCheckRule(AggregationRule):
    """A reply makes a claim about the external world when at least `threshold` raters (2 of 3) say so; it is
    common knowledge when every rater knows it to be true; it needs research when it makes a claim that is not
    common knowledge. Rows per item: `claim`, `common_knowledge`, `needs_research` (`yes_count`: raters who said
    there is a claim / who know it true / who said there is a claim). Version `claim-check/1:claim>=2of3`."""

    name = "claim-check"

    def __init__(self, *, threshold: int, raters: int):
        if not 1 <= threshold <= raters:
            raise ValueError(f"threshold {threshold} must be between 1 and raters {raters}")
        self.threshold, self.raters = threshold, raters
        self.attributes = (CLAIM, COMMON_KNOWLEDGE, NEEDS_RESEARCH)
        self.version = f"claim-check/1:claim>={threshold}of{raters}"

    @classmethod
    def problems(cls, spec) -> list[str]:
        found = [f"the rule needs a question '{k}'." for k in ("claim", "known") if k not in spec.keys]
        return found + cls._needs_choice(spec, "yes", "the rule counts explicit yes")

    @classmethod
    def for_campaign(cls, campaign, spec) -> ClaimCheckRule:
        return cls(threshold=campaign.positive_threshold, raters=campaign.raters_per_item)

    def vote_columns(self) -> str:
        return f"count(*) FILTER (WHERE {answer_is('claim', 'yes')}) AS claim_yes, " + (
            f"count(*) FILTER (WHERE {answer_is('known', 'yes')}) AS known_yes"
        )

    def rows(self, votes: str) -> tuple[str, list]:
        t = int(self.threshold)
        sql = (
            "SELECT v.item_id, a.attribute, a.positive, a.yes_count, v.label_count,"
            " a.yes_count::float / v.label_count AS score"
            f" FROM ({votes}) AS v CROSS JOIN LATERAL (VALUES"
            f" ('{CLAIM}', v.claim_yes >= {t}, v.claim_yes),"
            f" ('{COMMON_KNOWLEDGE}', v.known_yes = v.label_count, v.known_yes),"
            f" ('{NEEDS_RESEARCH}', v.claim_yes >= {t} AND v.known_yes < v.label_count, v.claim_yes)"
            ") AS a(attribute, positive, yes_count)"
        )
        return sql, []


class _Majority(AggregationRule):
    """A strict majority of the item's labels (2 of 3), whatever the campaign's own rating settings."""

    @classmethod
    def for_campaign(cls, campaign, spec):
        return cls()

    @staticmethod
    def majority() -> str:
        return "(v.label_count / 2 + 1)"  # integer division: 2 of 3, 3 of 5


class CorrectMajorityRule(_Majority):
    """Correct / incorrect: `correct` when a majority answers yes, `incorrect` when a majority answers no; neither
    (e.g. yes / no / not sure) leaves the reply undecided. Version `correct-majority/1`."""

    name = "correct-majority"
    attributes = ("correct", "incorrect")
    version = "correct-majority/1"

    @classmethod
    def problems(cls, spec) -> list[str]:
        found = [] if "correct" in spec.keys else ["the rule needs a question 'correct'."]
        return found + cls._needs_choice(spec, "yes", "a majority of yes is correct")

    def vote_columns(self) -> str:
        return (
            f"count(*) FILTER (WHERE {answer_is('correct', 'yes')}) AS yes, "
            f"count(*) FILTER (WHERE {answer_is('correct', 'no')}) AS no"
        )

    def rows(self, votes: str) -> tuple[str, list]:
        m = self.majority()
        sql = (
            "SELECT v.item_id, a.attribute, a.n >= " + m + " AS positive, a.n AS yes_count, v.label_count,"
            " a.n::float / v.label_count AS score"
            f" FROM ({votes}) AS v CROSS JOIN LATERAL (VALUES ('correct', v.yes), ('incorrect', v.no))"
            " AS a(attribute, n)"
        )
        return sql, []


class GroundednessEvalRule(_Majority):
    """The evaluation form (majority of 3 each): `claim` (the reply makes a claim about the world), `correct` (a
    claim, and a majority found it correct after checking), `cited` (a claim, and a majority saw it cite its
    source). The results page reads groundedness = correct / claim, informativeness = correct / all replies,
    citation accuracy = cited / claim. Version `groundedness-eval/1`."""

    name = "groundedness-eval"
    attributes = ("claim", "correct", "cited")
    version = "groundedness-eval/1"

    @classmethod
    def problems(cls, spec) -> list[str]:
        found = [f"the rule needs a question '{k}'." for k in cls.attributes if k not in spec.keys]
        return found + cls._needs_choice(spec, "yes", "the rule counts explicit yes")

    def vote_columns(self) -> str:
        return ", ".join(f"count(*) FILTER (WHERE {answer_is(a, 'yes')}) AS {a}_yes" for a in self.attributes)

    def rows(self, votes: str) -> tuple[str, list]:
        m = self.majority()
        claim = f"v.claim_yes >= {m}"
        sql = (
            "SELECT v.item_id, a.attribute, a.positive, a.n AS yes_count, v.label_count,"
            " a.n::float / v.label_count AS score"
            f" FROM ({votes}) AS v CROSS JOIN LATERAL (VALUES ('claim', {claim}, v.claim_yes),"
            f" ('correct', {claim} AND v.correct_yes >= {m}, v.correct_yes),"
            f" ('cited', {claim} AND v.cited_yes >= {m}, v.cited_yes)) AS a(attribute, positive, n)"
        )
        return sql, []
