"""Settings for bench/intake_throughput.py: Leadflow's, plus a URLconf with one bare view to compare against."""

import os

from leadflow.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake_bench_urls"

if os.environ.get("BENCH_WITHOUT_SHEDDING"):  # the "before" run of bench/intake_overload.py
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "leadflow.core.middleware.shed_load"]  # noqa: F405
