"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from app import create_app
from app.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:
    # A clear one-line refusal instead of a traceback, e.g. a weak key in production.
    raise SystemExit(f"Refusing to start: {exc}") from None
