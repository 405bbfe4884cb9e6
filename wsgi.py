"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from gridcase import create_app

app = create_app()
