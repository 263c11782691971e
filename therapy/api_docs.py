"""The API's OpenAPI schema (drf-spectacular) and its Swagger UI page.

Swagger UI comes from drf-spectacular-sidecar, in our own static files. The page is written
here rather than from drf-spectacular's template, whose inline <style> the site's
Content-Security-Policy would block: this one has no inline script or style, and its start-up
script is drf-spectacular's own, served as a file of its own (`?script`). The only widening
of the policy, on this page alone, is `data:` images, which Swagger UI's stylesheet uses for
its icons.
"""

from csp.decorators import csp_update
from django.http import HttpResponse
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

_SWAGGER = "drf_spectacular_sidecar/swagger-ui-dist/"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Tells the schema that therapy.api_auth.ApiKeyAuthentication is a Bearer token."""

    target_class = "therapy.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A practice's API key, `tk_…`, made by a practice admin in the "
            "dashboard.",
        }


@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    title = "Couples worksheets API"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if request.GET.get("script") is not None:
            return super().get(request, *args, **kwargs)
        return HttpResponse(
            format_html(
                '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                "<title>{}</title>\n"
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                '<link rel="icon" href="{}">\n<link rel="stylesheet" href="{}">\n</head>\n'
                '<body>\n<div id="swagger-ui"></div>\n<script src="{}"></script>\n'
                '<script src="{}"></script>\n<script src="{}"></script>\n</body>\n</html>\n',
                self.title,
                static(_SWAGGER + "favicon-32x32.png"),
                static(_SWAGGER + "swagger-ui.css"),
                static(_SWAGGER + "swagger-ui-bundle.js"),
                static(_SWAGGER + "swagger-ui-standalone-preset.js"),
                f"{request.path}?script=",
            )
        )
