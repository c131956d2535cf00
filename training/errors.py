"""The exception types for problems a user can fix (bad flag, missing file, corrupt checkpoint) or must look at.

Their message is ONE line that names the file and the fix; `training.train.main` prints it and exits with the
error's `exit_code` (2 for bad input, 3 when a guard stopped the run), without a traceback. Bugs keep raising
their own exception types so they stay loud.
"""


class TrainInputError(Exception):
    """A user-fixable problem: `str(err)` is a one-line '<file>: <what is wrong>; <how to fix>' message."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # always one line


class TrainingHalted(TrainInputError):
    """A guard stopped the run (non-finite loss or gradient, loss spike, non-finite weights at save or export).

    Nothing was saved or exported from the bad state; the checkpoints written before it are untouched.
    """

    exit_code = 3
