"""URLs of the test project: the app mounted as the README says, the admin, a sign-in.

The demo project's own pages are tested against its urls (`tests/test_demo_pages.py`).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # Where the accept page sends an invitee (LOGIN_URL), as any project provides it.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("", include("invites.urls")),
]
