from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminSite


class ConfideAdminSite(OTPAdminSite):
    """The admin asks for a verified two-factor session like every other page, and signs people
    in through Confide's own sign-in, so its lockout and audit apply here too."""

    site_header = "Confide administration"
    site_title = "Confide"
    index_title = "Accounts and settings"

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return redirect_to_login(request.get_full_path())
