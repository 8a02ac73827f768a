from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.management.base import BaseCommand, CommandError

from config.celery import ping


class Command(BaseCommand):
    help = "Send a task through the configured broker and wait for a worker to answer it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args, timeout: float, **options):
        result = ping.delay()
        try:
            answer = result.get(timeout=timeout)
        except CeleryTimeout as error:
            raise CommandError(f"no worker answered within {timeout:g} s") from error
        self.stdout.write(f"worker answered: {answer}")
