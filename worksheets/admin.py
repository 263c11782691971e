from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from therapy import access
from therapy.admin_site import ScopedAdmin
from worksheets.assignments import cancel_assignment
from worksheets.models import Assignment, Reminder, Response, WorksheetItem, WorksheetTemplate


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    scope = staticmethod(access.assignments_for)
    list_display = ["template", "couple", "due_at", "status", "assigned_by"]
    list_select_related = ["template", "couple", "assigned_by__user"]
    list_filter = ["status"]
    actions = ["cancel_selected"]
    fields = ["couple", "template", "due_at", "status", "assigned_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        # Needed for the cancel action; the form itself stays read-only (readonly_fields).
        return access.can_use_dashboard(request.user)

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.action(description="Cancel the selected assignments")
    def cancel_selected(self, request, queryset):
        for assignment in queryset:
            cancel_assignment(assignment=assignment)
        messages.success(request, f"Cancelled {len(queryset)} assignment(s); reminders stopped.")


@admin.register(Response)
class ResponseAdmin(ScopedAdmin):
    scope = staticmethod(access.responses_for)
    list_display = ["worksheet", "couple", "partner", "status", "due_at", "submitted_at"]
    list_select_related = ["assignment__template", "assignment__couple", "partner"]
    list_filter = ["status"]
    fields = [
        "partner",
        "worksheet",
        "status",
        "due_at",
        "submitted_at",
        "answer_table",
        "score_table",
    ]
    readonly_fields = fields

    @admin.display(description="Worksheet", ordering="assignment__template__title")
    def worksheet(self, response):
        return response.assignment.template.title

    @admin.display(description="Couple", ordering="assignment__couple__label")
    def couple(self, response):
        return response.assignment.couple.label

    @admin.display(description="Answers")
    def answer_table(self, response):
        items = response.assignment.template.items.all()
        if not response.answers:
            return "No answers yet."
        rows = []
        for item in items:
            value = response.answers.get(item.key)
            if item.kind == WorksheetItem.Kind.AGREEMENT and isinstance(value, int):
                value = f"{value} – {item.options['anchors'][value - 1]}"
            rows.append(
                (
                    item.prompt,
                    value if value not in (None, "") else "—",
                    item.get_visibility_display(),
                )
            )
        return format_html(
            "<table><thead><tr><th>Question</th><th>Answer</th><th>Who may see it</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="Scores")
    def score_table(self, response):
        subscales = response.scores.get("subscales", [])
        if not subscales:
            return "Scored when submitted."
        rows = [
            (
                s["label"],
                f"{s['score']} of {s['maximum']}" if s["score"] is not None else "Incomplete",
                s["band"] or "—",
            )
            for s in subscales
        ]
        return format_html(
            "<table><thead><tr><th>Subscale</th><th>Score</th><th>Band</th></tr></thead>"
            "<tbody>{}</tbody></table><p>{}</p>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
            response.scores.get("disclaimer", ""),
        )


@admin.register(Reminder)
class ReminderAdmin(ScopedAdmin):
    scope = staticmethod(access.reminders_for)
    list_display = ["partner", "kind", "due_at", "sent_at", "status", "attempts", "last_error"]
    list_select_related = ["response__partner"]
    list_filter = ["status", "kind"]
    fields = ["partner", "kind", "channel", "due_at", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields

    @admin.display(description="Partner", ordering="response__partner__display_name")
    def partner(self, reminder):
        return reminder.response.partner.display_name


class WorksheetItemInline(admin.TabularInline):
    model = WorksheetItem
    fields = ["position", "kind", "prompt", "subscale", "reverse_keyed", "visibility"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorksheetTemplate)
class WorksheetTemplateAdmin(ScopedAdmin):
    scope = staticmethod(lambda user: WorksheetTemplate.objects.all())
    list_display = ["title", "version", "estimated_minutes", "created_at"]
    fields = [
        "title",
        "slug",
        "version",
        "purpose",
        "instructions",
        "estimated_minutes",
        "counselor_notes",
    ]
    readonly_fields = fields
    inlines = [WorksheetItemInline]
