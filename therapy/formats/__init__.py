"""The dashboard's date and time formats, one set per locale (FORMAT_MODULE_PATH).

The counselor's browser language picks the set (LocaleMiddleware: en-us, en-gb). Templates
name a format rather than spell a pattern, so every page writes a date the same way:

- DATE_FORMAT: a day with its year ("Dec 6, 2026" / "6 Dec 2026")
- SHORT_DATE_FORMAT: a day in a list where the year goes without saying ("Dec 6" / "6 Dec")
- DATETIME_FORMAT: a moment ("Dec 6, 2026, 5:00 PM" / "6 Dec 2026, 17:00")
- SHORT_DATETIME_FORMAT: a coming or recent moment ("Sun, Dec 6, 5:00 PM" / "Sun 6 Dec, 17:00")
- TIME_FORMAT: a time of day ("5:00 PM" / "17:00")

Each locale module defines every name: Django reads a name from the first module that has
it, in the order en_GB here, en here, Django's en_GB, Django's en, so a name missing from
en_GB would be taken from the US set.
"""
