from django.contrib.admin.apps import AdminConfig


class ConfideAdminConfig(AdminConfig):
    default_site = "config.admin.ConfideAdminSite"
