from annotation.models.aggregate import Aggregate
from annotation.models.form import FormVersion, Question, RatingForm
from annotation.models.item import RatingItem
from annotation.models.label import Answer, Label
from annotation.models.lease import Lease
from annotation.models.rater import Demographics, ItemSkip, WarningAck

__all__ = [
    "Aggregate",
    "Answer",
    "Demographics",
    "FormVersion",
    "ItemSkip",
    "Label",
    "Lease",
    "Question",
    "RatingForm",
    "RatingItem",
    "WarningAck",
]
