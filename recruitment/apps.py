from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "recruitment"
    verbose_name = "Recruitment: panels and invitations"

    def ready(self) -> None:
        from recruitment import receivers  # noqa: F401  (links a new chat session to the worker's panel visit)
