from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("home.urls")),
    path("", include("records.urls")),
    path("account/", include("accounts.urls")),
    path("access-requests/", include("access_requests.urls")),
    path("consent/", include("consent.urls")),
    path("", include("lifecycle.urls")),
    path("", include("governance.urls")),
    path("", include("safeguarding.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "home.views.not_found"
handler500 = "home.views.server_error"
