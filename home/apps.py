from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The dashboard and the error pages: they compose the apps below; nothing imports home."""

    name = "home"
    verbose_name = "Home"
