"""Sign-in and two-factor pages (being completed: see issue 2 notes)."""

from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse

sign_in = auth_views.LoginView.as_view(template_name="registration/login.html")
sign_out = auth_views.LogoutView.as_view()


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    raise Http404


two_factor_enrol = two_factor_setup = backup_codes = two_factor_verify
