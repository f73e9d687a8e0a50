"""The app as uvicorn's worker processes build it: settings and database from the environment."""

from fastapi import FastAPI

from ikz import settings
from ikz.portal.app import create_app


def from_environment() -> FastAPI:
    """The portal on $IKZ_CONFIG's settings and $IKZ_DATABASE_URL's database (one per worker process)."""
    return create_app(settings.load())
