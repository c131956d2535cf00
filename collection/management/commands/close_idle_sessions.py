from django.core.management.base import BaseCommand

from collection.services.chat_session import sessions_close_idle


class Command(BaseCommand):
    help = "Close chat sessions idle past their campaign's timeout (what the Celery beat job does every minute)."

    def handle(self, *args, **options):
        closed = sessions_close_idle()
        self.stdout.write(f"closed {len(closed)} idle chat session(s){': ' + str(closed) if closed else ''}")
