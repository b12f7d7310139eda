"""Logging for requests the visitor got wrong: a 4xx response is one warning line."""

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """Drops the traceback from the log record of a 4xx response, and logs it as a warning.

    Django logs a raised `BadRequest` with its traceback, and a `SuspiciousOperation` (a bad
    Host header, a query string with more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters) at
    ERROR with its traceback, on `django.security.<name>`. A request a visitor or a scanner
    got wrong is not a fault of the site: one line saying what and where is enough, and
    tracebacks by the thousand would bury the 5xx that matter. Records without a status
    (and every 5xx) pass unchanged.
    """

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
