from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from therapy import access, api_keys, webhooks
from therapy.admin_site import ScopedAdmin
from therapy.alerts import acknowledge
from therapy.models import (
    AccessLog,
    Alert,
    ApiKey,
    CounselingSession,
    Counselor,
    Practice,
    WebhookSubscription,
)

# Practices and counselors are managed by the people who run the service (superusers), through
# Django's model permissions; counselors have none of those permissions.


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "practice_page"]
    search_fields = ["name"]

    @admin.display(description="Figures and support resources")
    def practice_page(self, practice):
        url = reverse("admin:practice")
        return format_html('<a href="{}?practice={}">Practice page</a>', url, practice.pk)


@admin.register(Counselor)
class CounselorAdmin(admin.ModelAdmin):
    list_display = ["__str__", "practice", "role"]
    list_select_related = ["user", "practice"]
    list_filter = ["role", "practice"]
    # A raw id, not the autocomplete widget: Django's autocomplete cannot redisplay a form
    # whose posted user is not a number, and answers with a server error.
    raw_id_fields = ["user"]


class UrgencyFilter(admin.SimpleListFilter):
    title = "urgency"
    parameter_name = "urgent"

    def lookups(self, request, model_admin):
        return [("yes", "Urgent"), ("no", "Not urgent")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(kind=Alert.Kind.SAFETY)
        if self.value() == "no":
            return queryset.exclude(kind=Alert.Kind.SAFETY)
        return queryset


@admin.register(Alert)
class AlertAdmin(ScopedAdmin):
    scope = staticmethod(access.alerts_for)
    list_display = [
        "couple",
        "kind",
        "reason",
        "created_at",
        "acknowledged_at",
        "acknowledged_by",
        "couple_page",
    ]
    list_select_related = ["couple", "acknowledged_by__user"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter), UrgencyFilter, "kind"]
    actions = ["acknowledge_selected"]
    fields = [
        "couple",
        "kind",
        "reason",
        "created_at",
        "acknowledged_at",
        "acknowledged_by",
        "follow_up_note",
    ]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    @admin.display(description="Couple's page")
    def couple_page(self, alert):
        url = reverse("admin:clients_couple_overview", args=[alert.couple_id])
        return format_html('<a href="{}">Open {}</a>', url, alert.couple.label)

    @admin.action(description="Acknowledge the selected alerts")
    def acknowledge_selected(self, request, queryset):
        # An urgent alert needs a note on the follow-up, written on the couple's page; the
        # others selected are acknowledged all the same.
        urgent = queryset.filter(kind=Alert.Kind.SAFETY, acknowledged_at__isnull=True).count()
        count = acknowledge(
            alerts=queryset.exclude(kind=Alert.Kind.SAFETY),
            counselor=access.counselor_for(request.user),
            now=timezone.now(),
        )
        messages.success(request, f"{count} alert(s) acknowledged.")
        if urgent:
            messages.warning(
                request,
                f"{urgent} urgent alert(s) not acknowledged: acknowledge urgent alerts on the "
                "couple's page, with a note on what you did to follow up.",
            )


@admin.register(CounselingSession)
class CounselingSessionAdmin(ScopedAdmin):
    scope = staticmethod(access.sessions_for)
    list_display = ["couple", "starts_at", "counselor"]
    list_select_related = ["couple", "counselor__user"]
    fields = ["couple", "starts_at", "counselor"]
    readonly_fields = fields


@admin.register(AccessLog)
class AccessLogAdmin(ScopedAdmin):
    """Read-only for practice admins; no one can add, change or delete a row."""

    scope = staticmethod(access.access_logs_for)
    list_display = ["at", "user", "couple_name", "what"]
    list_select_related = ["user", "couple"]
    list_filter = [("at", admin.DateFieldListFilter)]
    search_fields = ["couple__label", "user__username"]
    fields = ["at", "user", "couple_name", "what", "path"]
    readonly_fields = fields

    @admin.display(description="couple")
    def couple_name(self, log):
        # A deleted couple's rows stay, for the retention period, under its number only.
        try:
            couple = log.couple
        except ObjectDoesNotExist:
            couple = None
        if couple is None:
            return f"Deleted couple #{log.couple_id}" if log.couple_id else "-"
        return couple.label

    def has_module_permission(self, request):
        return access.can_read_access_log(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAdmin):
    """A practice admin makes and revokes the practice's keys; a key is shown once, in the
    message after it is made, and only its digest is kept. Counselors see none."""

    scope = staticmethod(api_keys.api_keys_for)
    list_display = ["name", "prefix", "scope", "practice", "status", "last_used_at", "created_at"]
    list_select_related = ["practice"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "scope"]
    actions = ["revoke_selected"]
    readonly_fields = [
        "prefix",
        "practice",
        "status",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            operator = access.is_operator(request.user)
            return ["name", "scope", "practice"] if operator else ["name", "scope"]
        return ["name", "scope", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_module_permission(self, request):
        return api_keys.can_manage_api_keys(request.user)

    def has_view_permission(self, request, obj=None):
        return api_keys.can_manage_api_keys(request.user)

    def has_add_permission(self, request):
        return api_keys.can_manage_api_keys(request.user)

    @admin.display(description="status")
    def status(self, key):
        return "Revoked" if key.is_revoked else "Active"

    def save_model(self, request, obj, form, change):
        practice_id = obj.practice_id or access.counselor_for(request.user).practice_id
        key, raw_key = api_keys.create_api_key(
            practice=Practice.objects.get(pk=practice_id),
            name=obj.name,
            scope=obj.scope,
            created_by=request.user,
            now=timezone.now(),
        )
        # The admin goes on with `obj` (its log entry and the redirect): it becomes the key.
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        messages.warning(
            request,
            f"Copy this key now: it is shown only this once, and cannot be shown again. {raw_key}",
        )

    @admin.action(description="Revoke the selected keys")
    def revoke_selected(self, request, queryset):
        count = api_keys.revoke_api_keys(keys=queryset, now=timezone.now())
        messages.success(request, f"{count} key(s) revoked.")


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="Address",
        max_length=500,
        assume_scheme="https",
        help_text="Where events are posted: an https address.",
        widget=forms.URLInput(attrs={"class": "vURLField", "size": 60}),
    )
    events = forms.MultipleChoiceField(
        choices=webhooks.EVENT_TYPES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events posted to this address.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "status"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        webhooks.validate_url(url)
        return url


# The latest deliveries a subscription's page lists.
RECENT_DELIVERIES = 20


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ScopedAdmin):
    """A practice admin subscribes the practice's systems to events; the signing secret is
    shown once, in the message after it is made or rotated. Counselors see none."""

    scope = staticmethod(webhooks.subscriptions_for)
    form = WebhookSubscriptionForm
    list_display = ["url", "event_list", "status", "practice", "created_at"]
    list_select_related = ["practice"]
    list_filter = ["status"]
    actions = ["rotate_secrets"]
    readonly_fields = ["practice", "paused_reason", "created_at", "secret_rotated_at", "deliveries"]

    def get_fields(self, request, obj=None):
        if obj is None:
            operator = access.is_operator(request.user)
            return ["url", "events", "practice"] if operator else ["url", "events"]
        return ["url", "events", "status", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_module_permission(self, request):
        return webhooks.can_manage_webhooks(request.user)

    def has_view_permission(self, request, obj=None):
        return webhooks.can_manage_webhooks(request.user)

    def has_add_permission(self, request):
        return webhooks.can_manage_webhooks(request.user)

    def has_change_permission(self, request, obj=None):
        return webhooks.can_manage_webhooks(request.user)

    @admin.display(description="events")
    def event_list(self, subscription):
        return ", ".join(subscription.events)

    @admin.display(description="Recent deliveries")
    def deliveries(self, subscription):
        rows = [
            (
                reverse("admin:worksheets_reminder_change", args=[row.pk]),
                date_format(timezone.localtime(row.created_at), "SHORT_DATETIME_FORMAT"),
                row.event_type,
                row.get_status_display(),
                row.attempts,
                row.response_code or "—",
                row.last_error or "—",
            )
            for row in subscription.deliveries.order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
        ]
        if not rows:
            return "Nothing delivered yet."
        return format_html(
            "<table><thead><tr><th>Created</th><th>Event</th><th>Status</th><th>Attempts</th>"
            "<th>Response code</th><th>Last error</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{}</td></tr>",
                rows,
            ),
        )

    def save_model(self, request, obj, form, change):
        if change:
            webhooks.update_subscription(
                subscription=obj, url=obj.url, events=obj.events, status=obj.status
            )
            return
        practice_id = obj.practice_id or access.counselor_for(request.user).practice_id
        subscription, secret = webhooks.create_subscription(
            practice=Practice.objects.get(pk=practice_id),
            url=obj.url,
            events=form.cleaned_data["events"],
            created_by=request.user,
            now=timezone.now(),
        )
        # The admin goes on with `obj` (its log entry and the redirect): it becomes the row.
        for field in WebhookSubscription._meta.concrete_fields:
            setattr(obj, field.attname, getattr(subscription, field.attname))
        obj._state.adding = False
        _show_secret_once(request, secret)

    @admin.action(description="Rotate the signing secret of the selected subscriptions")
    def rotate_secrets(self, request, queryset):
        now = timezone.now()
        for subscription in queryset:
            secret = webhooks.rotate_secret(subscription=subscription, now=now)
            _show_secret_once(request, secret, url=subscription.url)


def _show_secret_once(request, secret: str, url: str = "") -> None:
    where = f" for {url}" if url else ""
    messages.warning(
        request,
        f"Copy this signing secret{where} now: it is shown only this once. {secret}",
    )
