from django.apps import AppConfig


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Subject access requests"

    def ready(self) -> None:
        from audit.log import follow

        follow(self)
