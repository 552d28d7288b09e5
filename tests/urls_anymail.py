"""The test project's URLs plus anymail's webhooks, for the bounce tests."""

from __future__ import annotations

from django.urls import include, path

from tests.urls import urlpatterns as base

urlpatterns = [*base, path("anymail/", include("anymail.urls"))]
