# Day first and 24-hour, as in British English.
from therapy.formats.en_GB.formats import (  # noqa: F401
    DATE_FORMAT,
    DATETIME_FORMAT,
    FIRST_DAY_OF_WEEK,
    MONTH_DAY_FORMAT,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    TIME_FORMAT,
    YEAR_MONTH_FORMAT,
)
