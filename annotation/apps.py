from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    name = "annotation"
    verbose_name = "Annotation (rating items, leases, labels, aggregation)"

    def ready(self) -> None:
        from annotation.receivers import on_chat_session_completed
        from collection.signals import chat_session_completed

        chat_session_completed.connect(on_chat_session_completed, dispatch_uid="annotation.create_rating_items")

        from annotation.receivers import on_research_task_completed
        from collection.signals import research_task_completed

        research_task_completed.connect(on_research_task_completed, dispatch_uid="annotation.correctness_item")

        from annotation.forms import attack_goals_for_campaign
        from collection.openings import register_attack_goals

        register_attack_goals(attack_goals_for_campaign)
