"""The one exception type for problems a user can fix (bad flag, missing file, corrupt checkpoint).

Its message is ONE line that names the file and the fix; `training.train.main` prints it and exits with code 2,
without a traceback. Bugs keep raising their own exception types so they stay loud.
"""


class TrainInputError(Exception):
    """A user-fixable problem: `str(err)` is a one-line '<file>: <what is wrong>; <how to fix>' message."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # always one line
