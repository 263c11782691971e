"""The counselor dashboard: the Django admin, scoped to each counselor's caseload."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.validators import MaxLengthValidator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from clients.forms import SupportResourcesForm
from therapy import access, dashboard, exports, mail_folder, sign_in_limits, two_factor
from therapy.models import Counselor, Practice


class StaffSignInForm(AdminAuthenticationForm):
    """The admin's sign-in form, with the username's length checked before anyone tries it:
    Django's form sets its length limit too late for the check to run, and a 10,000-character
    name would reach the lockout's database columns."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = self.fields["username"].max_length
        self.fields["username"].validators.append(MaxLengthValidator(limit))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code from your authenticator app",
        help_text="Or one of your recovery codes, if you do not have your phone.",
        max_length=14,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if two_factor.is_recovery_code_shaped(code):
            return code
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the six digits your app shows.")
        return code


class CounselorPreferencesForm(forms.ModelForm):
    class Meta:
        model = Counselor
        fields = ["alert_by_email"]


CASELOAD_PAGE_SIZE = 25


class CounselorAdminSite(admin.AdminSite):
    site_header = "Between sessions: counselor dashboard"
    site_title = "Counselor dashboard"
    index_title = "Your caseload"
    index_template = "admin/counselor_home.html"
    # No "View site": the public side is the partners' portal, not the counselor's.
    site_url = None
    login_form = StaffSignInForm

    def has_permission(self, request):
        return access.can_use_dashboard(request.user) and not two_factor.needs_second_step(request)

    def login(self, request, extra_context=None):
        # Signed in with the password but not yet with a code: on to the code page.
        if two_factor.needs_second_step(request) and access.can_use_dashboard(request.user):
            next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
            return redirect(f"{reverse('admin:two_step')}?{urlencode({'next': next_url})}")
        if request.method == "POST" and sign_in_limits.address_locked(request):
            return locked_out(request, by_address=True)
        return super().login(request, extra_context)

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def two_step_view(self, request):
        """The code from the counselor's authenticator app, after their password; the first
        time, setting the app up."""
        if not access.can_use_dashboard(request.user):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        if not two_factor.needs_second_step(request):
            return redirect(next_url)
        if request.method == "POST" and "sign_out" in request.POST:
            logout(request)
            return redirect("admin:login")
        device = two_factor.authenticator_for(request.user)
        form = CodeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            code = form.cleaned_data["code"]
            problem = None
            if device.confirmed:
                problem = two_factor.check_recovery_code(request, code)
                if problem == "":
                    left = two_factor.recovery_codes_left(request.user)
                    messages.warning(
                        request,
                        f"You signed in with a recovery code; {left} left. If your phone is "
                        "lost, ask whoever manages accounts to remove the old app, then set "
                        "up a new one: that gives you new codes.",
                    )
                    return redirect(next_url)
            if problem is None:
                was_set_up = device.confirmed
                problem = two_factor.check_code(request, device, code)
                if not problem and not was_set_up:
                    return self._show_recovery_codes(request, next_url)
                if not problem:
                    return redirect(next_url)
            form.add_error("code", problem)
        setting_up = not device.confirmed
        context = {
            "site_header": self.site_header,
            "site_title": self.site_title,
            "title": "Set up two-step sign-in" if setting_up else "Two-step sign-in",
            "form": form,
            "setting_up": setting_up,
        }
        if setting_up:
            # The secret is shown only while the app is being set up, never again.
            context["qr_code"] = mark_safe(two_factor.qr_code_svg(device))  # noqa: S308 - segno's SVG
            context["key"] = two_factor.readable_key(device)
        return TemplateResponse(request, "admin/two_step.html", context)

    def _show_recovery_codes(self, request, next_url):
        """The recovery codes, in this one answer only: not stored anywhere they could be
        shown again."""
        context = {
            **self.each_context(request),
            "title": "Your recovery codes",
            "codes": two_factor.issue_recovery_codes(request.user),
            "next_url": next_url,
        }
        return TemplateResponse(request, "admin/recovery_codes.html", context)

    def index(self, request, extra_context=None):
        now = timezone.now()
        sort = request.GET.get("sort", "couple")
        attention_only = request.GET.get("show") == "attention"
        rows = dashboard.caseload(request.user, now=now, sort=sort, attention_only=attention_only)
        context = {
            "page": Paginator(rows, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page")),
            "sort": sort if sort in dashboard.SORTS else "couple",
            "attention_only": attention_only,
            "sort_options": [
                ("couple", "couple"),
                ("next_session", "next session"),
                ("overdue", "overdue"),
                ("gap", "gap"),
                ("alerts", "alerts"),
            ],
            "attention": dashboard.needs_attention(request.user, now=now),
            "now": now,
            "show_outbox": mail_folder.uses_file_outbox(),
            # The couple admin's own rule for who may add a couple.
            "can_add_couple": any(
                model._meta.label == "clients.Couple" and admin.has_add_permission(request)
                for model, admin in self._registry.items()
            ),
            "is_practice_admin": bool(
                access.counselor_for(request.user)
                and access.counselor_for(request.user).is_practice_admin
            ),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)

    def get_urls(self):
        return [
            path("outbox/", self.admin_view(self.outbox_view), name="outbox"),
            path("preferences/", self.admin_view(self.preferences_view), name="preferences"),
            path("practice/", self.admin_view(self.practice_view), name="practice"),
            path("caseload.csv", self.admin_view(self.caseload_csv_view), name="caseload_csv"),
            path(
                "practice/completion.csv",
                self.admin_view(self.completion_csv_view),
                name="completion_csv",
            ),
            # Not behind admin_view: it is the step that grants the dashboard.
            path("two-step/", self.two_step_view, name="two_step"),
            *super().get_urls(),
        ]

    @staticmethod
    def _practice_to_read(request) -> Practice | None:
        """The practice whose figures the request may read: the one an operator names
        (?practice=<id>; an unknown id is a 404), or a practice admin's own; None for
        anyone else, and for an operator who names none."""
        chosen = request.GET.get("practice", "")
        if access.is_operator(request.user) and chosen.isdigit():
            practice = Practice.objects.filter(pk=int(chosen)).first()
            if practice is None:
                raise Http404("No such practice.")
            return practice
        counselor = access.counselor_for(request.user)
        if counselor is not None and counselor.is_practice_admin:
            return counselor.practice
        return None

    def practice_view(self, request):
        """Practice totals, each counselor's caseload, and the support resources shown to a
        partner who raised a safety signal: for the practice's admins, and for operators,
        who name the practice (?practice=<id>, linked from the list of practices)."""
        practice = self._practice_to_read(request)
        if practice is None and access.is_operator(request.user):
            return redirect("admin:therapy_practice_changelist")
        if practice is None:
            raise Http404("Only practice admins see the practice's figures.")
        form = SupportResourcesForm(request.POST or None, instance=practice)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, "Support resources saved.")
            return redirect(request.get_full_path())
        context = {
            **self.each_context(request),
            "title": practice.name,
            "totals": dashboard.practice_totals(practice, now=timezone.now()),
            "support_form": form,
        }
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(request, "admin/practice.html", context, status=status)

    def caseload_csv_view(self, request):
        """The home page's caseload as CSV, each couple in it written to the access log."""
        now = timezone.now()
        rows = dashboard.caseload(request.user, now=now)
        exports.record_caseload_download(request, rows, "caseload (CSV)", now)
        return exports.csv_response(
            exports.caseload_rows(rows), filename=f"caseload-{now:%Y-%m-%d}.csv"
        )

    def completion_csv_view(self, request):
        """The practice figures page's completion by worksheet as CSV: for the practice's
        admins, and for operators naming the practice (?practice=<id>); others answer 403."""
        practice = self._practice_to_read(request)
        if practice is None:
            raise PermissionDenied("Only practice admins read the practice's figures.")
        now = timezone.now()
        return exports.csv_response(
            exports.completion_rows(practice, now=now), filename=f"completion-{now:%Y-%m-%d}.csv"
        )

    def preferences_view(self, request):
        """A counselor's own settings: for now, whether alerts also come by e-mail."""
        counselor = access.counselor_for(request.user)
        if counselor is None:
            raise Http404("Only counselors have preferences here.")
        form = CounselorPreferencesForm(request.POST or None, instance=counselor)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, "Your preferences are saved.")
            return redirect("admin:index")
        context = {**self.each_context(request), "title": "Your preferences", "form": form}
        return TemplateResponse(request, "admin/preferences.html", context)

    def outbox_view(self, request):
        """Messages written by the file e-mail backend, so a demo can follow a client's link.

        A message is listed only if the outbox row its Message-ID names is one the viewer may
        see (access.reminders_for): the address it went to proves nothing, since anyone can
        add a partner with any address. Reading the page is logged for each couple shown.
        """
        if not mail_folder.uses_file_outbox():
            raise Http404("The outbox is only kept when e-mail is written to files.")
        folder = mail_folder.recent_messages()
        couple_of_row = dict(
            access.reminders_for(request.user)
            .filter(pk__in={m.outbox_row for m in folder if m.outbox_row is not None})
            .values_list("pk", "partner__couple_id")
        )
        shown = [m for m in folder if m.outbox_row in couple_of_row][:100]
        now = timezone.now()
        couples = access.couples_for(request.user).filter(
            pk__in={couple_of_row[m.outbox_row] for m in shown}
        )
        for couple in couples:
            access.record_view(request, couple, "Sent messages", now)
        context = {
            **self.each_context(request),
            "title": "Sent messages",
            "messages_sent": shown,
        }
        return TemplateResponse(request, "admin/outbox.html", context)


# The parts of a date a list filter may name (due_at__year=2026), with the values each holds.
_DATE_PARTS = {
    "year": (1, 9999),
    "iso_year": (1, 9999),
    "quarter": (1, 4),
    "month": (1, 12),
    "week": (1, 53),
    "day": (1, 31),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}


def _date_parts_in_range(query) -> bool:
    """Whether every date part a list's address filters on is a whole number it can hold."""
    for name, values in query.lists():
        for part in name.split("__")[1:]:
            if part not in _DATE_PARTS:
                continue
            low, high = _DATE_PARTS[part]
            numbers = [n for v in values for n in (v.split(",") if name.endswith("__in") else [v])]
            # isascii: isdigit also takes "²", which int() refuses; a year has 4 digits.
            if not all(
                n.isascii() and n.isdigit() and len(n) <= 4 and low <= int(n) <= high
                for n in numbers
            ):
                return False
    return True


class ScopedAdmin(admin.ModelAdmin):
    """Read-only by default; rows come from `scope(user)` and anything else answers 404."""

    scope = None

    def get_queryset(self, request):
        queryset = self.scope(request.user)
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Not found.")
        return obj

    def changelist_view(self, request, extra_context=None):
        if not _date_parts_in_range(request.GET):
            # The page the admin shows for a filter it cannot apply; a year past 9999 would
            # otherwise reach the database and fail there.
            context = {**self.admin_site.each_context(request), "title": "Filters not understood"}
            return TemplateResponse(request, "admin/invalid_setup.html", context, status=400)
        # A list is titled by what it lists ("Couples"), not the stock "Select couple to
        # change".
        title = str(self.model._meta.verbose_name_plural).capitalize()
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # "Alert", with the alert itself below, rather than the stock "Change alert".
        title = str(self.model._meta.verbose_name).capitalize()
        return super().change_view(
            request, object_id, form_url, {"title": title, **(extra_context or {})}
        )

    def has_module_permission(self, request):
        return access.can_use_dashboard(request.user)

    def has_view_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def locked_out(request, credentials=None, *, by_address=False):
    """The page for a sign-in refused because of too many wrong passwords: for one username
    (django-axes), or from one address (therapy.sign_in_limits)."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {
        "site_header": CounselorAdminSite.site_header,
        "site_title": CounselorAdminSite.site_title,
        "title": "Sign-in locked for now",
        "by_address": by_address,
        "failure_limit": settings.STAFF_ADDRESS_FAILURE_LIMIT
        if by_address
        else settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }
    # Rendered here, not lazily: django-axes returns it from its middleware.
    return render(request, "admin/locked_out.html", context, status=429)
