from django.contrib import admin, messages
from django.utils import timezone

from therapy import access
from therapy.admin_site import ScopedAdmin
from therapy.alerts import acknowledge
from therapy.models import AccessLog, Alert, CounselingSession, Counselor, Practice

# Practices and counselors are managed by the people who run the service (superusers), through
# Django's model permissions; counselors have none of those permissions.


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]


@admin.register(Counselor)
class CounselorAdmin(admin.ModelAdmin):
    list_display = ["__str__", "practice", "role"]
    list_select_related = ["user", "practice"]
    list_filter = ["role", "practice"]
    autocomplete_fields = ["user"]


@admin.register(Alert)
class AlertAdmin(ScopedAdmin):
    scope = staticmethod(access.alerts_for)
    list_display = ["couple", "kind", "reason", "created_at", "acknowledged_at"]
    list_select_related = ["couple"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter), "kind"]
    actions = ["acknowledge_selected"]
    fields = ["couple", "kind", "reason", "created_at", "acknowledged_at", "acknowledged_by"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    @admin.action(description="Acknowledge the selected alerts")
    def acknowledge_selected(self, request, queryset):
        count = acknowledge(
            alerts=queryset, counselor=access.counselor_for(request.user), now=timezone.now()
        )
        messages.success(request, f"{count} alert(s) acknowledged.")


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
    list_display = ["at", "user", "couple", "what"]
    list_select_related = ["user", "couple"]
    list_filter = [("at", admin.DateFieldListFilter)]
    search_fields = ["couple__label", "user__username"]
    fields = ["at", "user", "couple", "what", "path"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return access.can_read_access_log(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)
