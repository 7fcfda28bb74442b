"""A logging filter that masks mainland mobile numbers and ID-card numbers, so no full number
reaches a log line (installed on the root handler in settings LOGGING)."""

import logging

from .masking import mask_text


class MaskPersonalNumbersFilter(logging.Filter):
    """Rewrites the record's message with every mobile and ID number masked.

    The message is formatted once here (msg % args) and the args are dropped, so a handler
    that formats later sees only the masked text; the exception text is masked too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for logging to report
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
