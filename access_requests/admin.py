"""Subject-access requests have no admin screen: they are handled in Confide's own pages, where
the access policy and the audit apply.

django-tasks-db registers its task results in the admin; the admin is for account management only
(DESIGN.md), so they are taken out again. The render's progress and errors show on the request's
page, and ``manage.py db_worker`` logs the rest.
"""

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
