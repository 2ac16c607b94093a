from django.apps import AppConfig


class DemoConfig(AppConfig):
    """A fictional preschool to try Confide with: ``seed_demo`` and ``demo_signins``, and every
    app's demo data. Development only; nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
