"""ASGI entry point of the demo project."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inviteproject.settings")

application = get_asgi_application()
