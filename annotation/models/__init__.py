from annotation.models.aggregate import Aggregate
from annotation.models.item import RatingItem
from annotation.models.label import Answer, QualityLabel
from annotation.models.lease import Lease

__all__ = ["Aggregate", "Answer", "Lease", "QualityLabel", "RatingItem"]
