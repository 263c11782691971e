"""No personal-link token reaches a log line, in either server the project runs: gunicorn as
docker-compose.yml runs it (its access log on), and runserver as `make demo` runs it.

Each server gets the requests that put a token in an address: opening a link, the page after
it with the link as referrer, an unsubscribe link, and an address under /p/ that does not
exist (Django's "Not Found" warning). Then its whole output is searched for the tokens.
"""

import http.cookiejar
import urllib.error
import urllib.request

import pytest
from django.utils import timezone

from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.integration.processes import free_port, process_env, running, wait_for
from tests.integration.test_compose_entry_points import PRODUCTION, web_command
from therapy.log_redaction import REDACTED, redact

pytestmark = pytest.mark.integration


def runserver_command(port):
    return ["python", "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]


def fetch(opener, url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@pytest.mark.parametrize("server", ["gunicorn", "runserver"])
def test_no_token_reaches_the_servers_output(transactional_db, tmp_path, smtp_sink, server):
    from clients.links import issue_link, unsubscribe_token

    couple = couple_with_partners(
        counselor=CounselorFactory(practice=PracticeFactory()), names=("Ana", "Ben")
    )
    ana = couple.partners.get(display_name="Ana")
    token = issue_link(partner=ana, now=timezone.now())
    unsubscribe = unsubscribe_token(ana)
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    if server == "gunicorn":
        # As the image is built: static files collected, then served from STATIC_ROOT.
        static = tmp_path / "static"
        extra = {**PRODUCTION, "STATIC_ROOT": static}
        collect = ["python", "manage.py", "collectstatic", "--noinput", "--verbosity=0"]
        with running(
            collect,
            env=process_env(smtp_port=smtp_sink.port, **extra),
            log=tmp_path / "collect.log",
        ) as collecting:
            assert collecting.wait(timeout=120) == 0
        argv = web_command(port)
    else:
        argv, extra = runserver_command(port), {}
    env = process_env(smtp_port=smtp_sink.port, site_url=site, **extra)
    log = tmp_path / f"{server}.log"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    with running(argv, env=env, log=log):
        wait_for(lambda: fetch(opener, f"{site}/healthz"), timeout=60, what=server)
        # Followed on to the welcome page (which, over plain HTTP in production, has no
        # session cookie to read: the cookie is secure-only).
        assert fetch(opener, f"{site}/p/{token}/") in {200, 410}
        fetch(opener, f"{site}/portal/welcome/", Referer=f"{site}/p/{token}/")
        fetch(opener, f"{site}/unsubscribe/{unsubscribe}/")
        assert fetch(opener, f"{site}/p/{token}/more/") == 404

    output = log.read_text()
    assert f"/p/{REDACTED}/" in output, "the requests were not logged at all"
    assert token not in output
    assert unsubscribe not in output


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /p/abc-_DEF123/ HTTP/1.1" 302', '"GET /p/[token]/ HTTP/1.1" 302'),
        ("Not Found: /p/abc/more/", "Not Found: /p/[token]/more/"),
        ('"https://x.org/p/abc/" "Mozilla"', '"https://x.org/p/[token]/" "Mozilla"'),
        ("GET /unsubscribe/Ij1:abc:xyz/", "GET /unsubscribe/[token]/"),
        ("GET /p/abc?x=1", "GET /p/[token]?x=1"),
        ("Not Found: /p//abc/", "Not Found: /p//[token]/"),
        ("Not Found: /P/abc/", "Not Found: /P/[token]/"),
        ("GET /Unsubscribe///Ij1:abc/", "GET /Unsubscribe///[token]/"),
        ("GET /portal/worksheets/12/ 200", "GET /portal/worksheets/12/ 200"),
    ],
)
def test_redact_takes_the_token_out_of_any_address(line, expected):
    assert redact(line) == expected
