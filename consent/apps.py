from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent and sharing"

    def ready(self) -> None:
        from audit.log import follow

        follow(self)
