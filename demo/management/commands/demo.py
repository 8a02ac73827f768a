from django.core.management.base import BaseCommand, CommandError

from demo.build import demo_build
from studies.researchers import DEMO_RESEARCHER, researcher_ensure


class Command(BaseCommand):
    help = (
        "Create the demo: 'seed-claim' open for rating, 'seed-claim-simulated' "
        "closed with simulated raters, 'seed-claim-pairwise' its pairwise twin (closed, "
        "simulated raters comparing pairs), and 'my-study', an empty draft to import into. "
        "Studies that exist are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--raters", type=int, default=60, help="simulated raters (60)")
        parser.add_argument("--seed", type=int, default=20261128, help="simulation seed")
        parser.add_argument("--owner", default=DEMO_RESEARCHER, help="researcher who owns them")

    def handle(self, *args, raters: int, seed: int, owner: str, **options):
        if raters < 1:
            raise CommandError("--raters must be at least 1")
        user, _ = researcher_ensure(username=owner)
        for line in demo_build(owner=user, raters=raters, seed=seed):
            self.stdout.write(line)
