"""Logging pieces used by settings.LOGGING: UTC timestamps everywhere, and no tracebacks for ordinary refusals."""

import logging
import time


class UTCFormatter(logging.Formatter):
    """Timestamps in UTC, marked `Z`, whatever TIME_ZONE the process runs in (Django sets TZ to TIME_ZONE)."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 403 or 400 is the app answering as designed: keep the one-line message, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
