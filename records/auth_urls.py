from django.urls import path

from . import auth_views

urlpatterns = [
    path("sign-in/", auth_views.sign_in, name="login"),
    path("sign-out/", auth_views.sign_out, name="logout"),
    path("two-factor/", auth_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/enrol/", auth_views.two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/set-up/", auth_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/backup-codes/", auth_views.backup_codes, name="backup_codes"),
    path("password/", auth_views.password_change, name="password_change"),
]
