from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo spans every layer (studies, simulated raters, an analysis), so it lives
    above them all, where it may import each."""

    name = "demo"
    verbose_name = "Demo"
