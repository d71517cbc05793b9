"""The project's settings, with bench/floor/urls.py as the URL configuration."""

from backend.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor.urls"
