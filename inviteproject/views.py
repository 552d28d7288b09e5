"""The demo project's own pages: its home page, and who is signed in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """`/accounts/profile/`: where a sign-in lands; says who is signed in."""
    return render(request, "accounts/profile.html")


def home(request: HttpRequest) -> HttpResponse:
    """`/`: what the demo has (the admin's "View site" leads here)."""
    return render(request, "home.html")
