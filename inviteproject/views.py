"""The demo project's one page of its own: who is signed in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """`/accounts/profile/`: where a sign-in lands; says who is signed in."""
    return render(request, "accounts/profile.html")
