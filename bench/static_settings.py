"""The production settings, to collect the static files the production pages name, for the
worker_memory benchmark. The same manifest of hashed names as production's storage writes,
without its compressed copies, which take a minute and a half to make and which no
benchmark request reads."""

from therapy.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
