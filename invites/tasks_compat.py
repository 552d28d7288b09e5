"""Django's Tasks framework: `django.tasks` on Django 6.0+, the `django-tasks` backport before.

The one place that knows the difference; everything else imports from here.
"""

from __future__ import annotations

import django
from django.core.exceptions import ImproperlyConfigured

if django.VERSION >= (6, 0):
    from django.tasks import TaskResultStatus, default_task_backend, task, task_backends
else:
    try:
        from django_tasks import TaskResultStatus, default_task_backend, task, task_backends
    except ImportError as error:  # pragma: no cover - depends on the installed packages
        raise ImproperlyConfigured(
            "invites sends its emails through Django's Tasks framework; on Django "
            "before 6.0 install its backport: pip install django-tasks"
        ) from error

__all__ = ["TaskResultStatus", "default_task_backend", "task", "task_backends"]
