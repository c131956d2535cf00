from annotation.rules.safety import SAFE
from exports.producers.base import Producer, VerdictColumn


class SafetyProducer(Producer):
    """Safety: the overall "safe" verdict (every objective met, 2 of 3) becomes UNSAFE with 1 = not safe. The
    per-objective verdicts have no trainer attribute; they stay in the platform and in meta/labels.parquet."""

    kind = "safety"

    def columns(self, verdict_attributes: tuple[str, ...]) -> list[VerdictColumn]:
        return [VerdictColumn(SAFE, "UNSAFE", invert=True)] if SAFE in verdict_attributes else []
