from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("records.urls")),
    path("account/", include("accounts.urls")),
    path("access-requests/", include("access_requests.urls")),
    path("consent/", include("consent.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "records.views.not_found"
handler500 = "records.views.server_error"
