"""Developer machine and `make run`: DEBUG on unless turned off."""

from django.core.exceptions import ImproperlyConfigured

from dealerops.env import env_bool

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = env_bool("DEBUG", True)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (export SECRET_KEY=...).")
    SECRET_KEY = "local-development-only-not-secret"  # noqa: S105
