"""The production settings for the api_caseload baselines' servers: their URLs are a bare view
alone (bench/bare_caseload.py, or the module BENCH_BARE_URLCONF names), and no middleware
runs, since those views need none."""

import os

from therapy.settings import *  # noqa: F403

ROOT_URLCONF = os.environ.get("BENCH_BARE_URLCONF", "bench.bare_caseload")
MIDDLEWARE = []
