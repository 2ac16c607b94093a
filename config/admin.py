from django_otp.admin import OTPAdminSite


class ConfideAdminSite(OTPAdminSite):
    """The admin asks for a verified two-factor session like every other page."""

    site_header = "Confide administration"
    site_title = "Confide"
    index_title = "Accounts and settings"
