"""pytest: the embedded PostgreSQL unless DATABASE_URL names a server."""

from .local import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
# Tasks run in-process; tests marked celery_worker send to a real worker explicitly.
CELERY_TASK_ALWAYS_EAGER = True
# Each test process keeps its own cache, emptied before every test (tests/conftest.py), even
# when CACHE_URL names a Redis server in the environment.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
