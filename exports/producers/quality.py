from exports.producers.base import Producer, VerdictColumn
from training.format.schema import ATTRIBUTES


class QualityProducer(Producer):
    """Quality (SSI): each question of the form that names a trainer attribute (sensible, specific, interesting)
    becomes that attribute; questions the trainer has no attribute for (e.g. a later role-consistency question)
    stay in meta/labels.parquet only."""

    kind = "quality"

    def columns(self, verdict_attributes: tuple[str, ...]) -> list[VerdictColumn]:
        return [VerdictColumn(a, a.upper()) for a in verdict_attributes if a.upper() in ATTRIBUTES]
