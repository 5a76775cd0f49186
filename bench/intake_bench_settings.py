"""Settings for bench/intake_throughput.py: Leadflow's, plus a URLconf with one bare view to compare against."""

from leadflow.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake_bench_urls"
