"""A tiny HTTP client with cookies, for talking to a live server as a partner would."""

import http.cookiejar
import re
import urllib.parse
import urllib.request

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browserless:
    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, url: str) -> tuple[str, str]:
        with self.opener.open(url, timeout=20) as response:
            return response.geturl(), response.read().decode()

    def post_form(self, url: str, page: str, fields: dict) -> tuple[str, str]:
        """Post `fields` with the CSRF token found on `page`, as a form submission would."""
        data = {"csrfmiddlewaretoken": CSRF_INPUT.search(page).group(1), **fields}
        request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
        with self.opener.open(request, timeout=20) as response:
            return response.geturl(), response.read().decode()
