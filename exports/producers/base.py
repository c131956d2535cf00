from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class VerdictColumn:
    """Verdict `verdict_attribute` (under the export's rule version) becomes a discriminative example with
    attribute `example_attribute`; its rating is the verdict's `positive` (1 / 0), or the opposite when `invert`
    (safety stores "safe", the trainer learns UNSAFE: 1 = not safe)."""

    verdict_attribute: str
    example_attribute: str
    invert: bool = False

    @property
    def good_rating(self) -> int:
        """The rating a reply fit for generative training has (1, or 0 for UNSAFE)."""
        return 0 if self.example_attribute == "UNSAFE" else 1


class Producer(ABC):
    """What one collection kind's verdicts become (exports/producers/__init__.py)."""

    kind: str

    @abstractmethod
    def columns(self, verdict_attributes: tuple[str, ...]) -> list[VerdictColumn]:
        """The verdict columns of a rule whose verdicts have these attributes (in the rule's order)."""

    def extra_examples(self, conn, scope, is_validation) -> dict:
        """{(split, kind): Arrow table} of examples that are not one reply's verdicts on its campaign's form
        (groundedness: research steps and GROUNDED from correct / incorrect), read on the export's snapshot
        connection within `scope`. None for most kinds."""
        return {}
