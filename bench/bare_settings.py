"""The production settings for the api_caseload baseline's server: its URLs are the bare view
alone (bench/bare_caseload.py), and no middleware runs, since that view needs none."""

from therapy.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_caseload"
MIDDLEWARE = []
