"""No personal-link token reaches a log line, whichever server or library writes it.

A partner's link carries its token in the address (`/p/<token>/`), and so does the unsubscribe
link. Web servers log addresses: runserver's request lines, gunicorn's access log (the request
line and the referrer), Django's "Not Found: ..." warnings. Rather than tune each of them, the
token is taken out of every log record as it is made, in every process that loads the
settings: Django's LOGGING_CONFIG installs a record factory before configuring logging.
"""

import logging
import logging.config
import re

# The address segment after a token-carrying path, up to the next slash, space, quote or query;
# in any case and after any number of slashes, as a mail client or gateway may mangle a link
# ("/P/<token>/", "/p//<token>/") and the token in it is no less valid.
_TOKEN_IN_ADDRESS = re.compile(r"(/(?:p|unsubscribe)/+)[^/\s\"'?&#]+", re.IGNORECASE)
REDACTED = "[token]"


def redact(text: str) -> str:
    return _TOKEN_IN_ADDRESS.sub(rf"\g<1>{REDACTED}", text)


def _redacting_factory(make_record):
    def make(*args, **kwargs):
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            return record  # a malformed call: logging reports it as it always has
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            # Formatters reuse exc_text once set, so the traceback is cleaned once, here.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    make.redacts_tokens = True
    return make


def install() -> None:
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacts_tokens", False):
        logging.setLogRecordFactory(_redacting_factory(factory))


def configure_logging(config: dict) -> None:
    """Django's LOGGING_CONFIG: the redacting record factory, then the LOGGING dict."""
    install()
    logging.config.dictConfig(config)
