"""`python manage.py train --preset tiny ...`: the trainer CLI (training.train) behind a Django command.

Thin on purpose: every argument after `train` goes unchanged to `training.train.main`, so flags, help text, error
messages and exit codes are exactly those of `python -m training.train`. The trainer core never imports Django;
only this command imports the core.
"""

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Train a LaMDA-style model (same flags as `python -m training.train`; try `manage.py train --help`)."
    requires_system_checks = []

    def run_from_argv(self, argv: list[str]) -> None:
        # argv = ["manage.py", "train", *trainer_args]: bypass Django's parser so --help/--preset reach the trainer.
        # A leading "--" (the usual "end of this command's options") is accepted and dropped.
        args = argv[2:]
        self._run(args[1:] if args[:1] == ["--"] else args, prog=f"{argv[0]} {argv[1]}")

    def add_arguments(self, parser) -> None:
        parser.add_argument("trainer_args", nargs="*", help="arguments for training.train (use -- before them)")

    def handle(self, *args, **options) -> None:  # call_command("train", "--", "--preset", "tiny", ...)
        self._run(list(options.get("trainer_args") or args), prog="manage.py train")

    def _run(self, trainer_args: list[str], *, prog: str) -> None:
        from training.train import main

        code = main(trainer_args, prog=prog)
        if code:
            sys.exit(code)
        self.stdout.write(self.style.SUCCESS("training finished"))
