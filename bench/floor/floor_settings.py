"""The platform's settings, with the floor view's URL in front of the platform's own (see
floor_urls). Used by bench/rater_load.py only."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
