# US English: month first; 12-hour times with "AM"/"PM", never "p.m." beside a 24-hour time.
DATE_FORMAT = "M j, Y"  # Dec 6, 2026
SHORT_DATE_FORMAT = "M j"  # Dec 6
TIME_FORMAT = "g:i A"  # 5:00 PM
DATETIME_FORMAT = "M j, Y, g:i A"  # Dec 6, 2026, 5:00 PM
SHORT_DATETIME_FORMAT = "D, M j, g:i A"  # Sun, Dec 6, 5:00 PM
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "F j"  # December 6
FIRST_DAY_OF_WEEK = 0  # Sunday
