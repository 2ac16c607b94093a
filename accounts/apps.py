from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in, two-factor, enrolment codes, sessions and lockout."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from audit.log import follow, follow_user_model

        from . import receivers  # noqa: F401  (connects the sign-in receivers)

        # Which sessions are whose changes with every sign-in and holds nothing personal; an
        # enrolment code's hash is a secret.
        follow(self, skip={"UserSession"}, exclude_fields={"EnrolmentCode": ["code_hash"]})
        follow_user_model()
