"""WSGI entry point: ``flask`` finds ``app`` here without --app; gunicorn uses ``wsgi:app``."""

from core.app import create_app

app = create_app()
