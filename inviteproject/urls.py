"""URLs of the demo project."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from inviteproject import views
from inviteproject.forms import EmailAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    # A plain sign-in for invitees (the admin's login only lets staff in), by email.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("", include("invites.urls")),
]

# Errors raised outside the API's views (unknown paths, a 500) answer JSON under /api/.
handler400 = "invites.api.handlers.bad_request"
handler403 = "invites.api.handlers.permission_denied"
handler404 = "invites.api.handlers.page_not_found"
handler500 = "invites.api.handlers.server_error"
