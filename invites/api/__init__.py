"""The REST API (Django REST framework): views, serializers and their helpers."""
