from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_fast_path(using, **kwargs):
    from ratings import fast

    fast.install(using)


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = "Ratings"

    def ready(self):
        # The rating page's database function is code, not schema: (re)created after every
        # `migrate`, named by a hash of its body (ratings.fast).
        post_migrate.connect(_install_fast_path, sender=self)
