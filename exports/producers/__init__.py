"""One producer per collection kind: which stored verdicts of its campaigns become which training examples.

A producer names verdict attributes of its rule (`Aggregate.attribute`) and the example attribute each becomes;
the exporter (exports/build.py) does the rest the same way for every kind: contexts cut where the rater saw them,
one discriminative example per judged attribute, generative examples through the filter. A producer may add
examples of its own (`extra_examples`: groundedness's research steps and GROUNDED from correct / incorrect).
"""

from exports.producers.base import Producer, VerdictColumn
from exports.producers.groundedness import GroundednessProducer
from exports.producers.quality import QualityProducer
from exports.producers.safety import SafetyProducer

PRODUCERS: dict[str, Producer] = {p.kind: p for p in (QualityProducer(), SafetyProducer(), GroundednessProducer())}

__all__ = ["PRODUCERS", "Producer", "VerdictColumn"]
