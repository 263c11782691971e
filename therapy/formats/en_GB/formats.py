# British English: day first, 24-hour times.
DATE_FORMAT = "j M Y"  # 6 Dec 2026
SHORT_DATE_FORMAT = "j M"  # 6 Dec
TIME_FORMAT = "H:i"  # 17:00
DATETIME_FORMAT = "j M Y, H:i"  # 6 Dec 2026, 17:00
SHORT_DATETIME_FORMAT = "D j M, H:i"  # Sun 6 Dec, 17:00
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j F"  # 6 December
FIRST_DAY_OF_WEEK = 1  # Monday
