from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from therapy import access
from therapy.admin_site import ScopedAdmin
from therapy.input_limits import BoundedInlineMixin
from worksheets.answers import answer_text
from worksheets.assignments import cancel_assignment
from worksheets.forms import AnswerForm
from worksheets.interdependence import map_summary
from worksheets.library import latest_templates
from worksheets.models import Assignment, Reminder, Response, WorksheetItem, WorksheetTemplate
from worksheets.outbox import resend
from worksheets.responses import couple_result, other_partners_response


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


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue(timezone.now())
        return queryset


@admin.register(Response)
class ResponseAdmin(ScopedAdmin):
    scope = staticmethod(access.responses_for)
    list_display = ["worksheet", "couple", "partner", "status", "due_at", "submitted_at"]
    list_select_related = ["assignment__template", "assignment__couple", "partner"]
    list_filter = [OverdueFilter, "status"]
    fields = [
        "partner",
        "worksheet",
        "status",
        "due_at",
        "submitted_at",
        "answer_table",
        "score_table",
        "couple_table",
        "engagement",
    ]
    # Everything is as the partner left it; the counselor adds only their rating.
    readonly_fields = fields[:-1]

    def has_change_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = self.get_object(request, object_id)
        access.record_view(
            request,
            response.assignment.couple,
            f"answers of {response.partner.display_name}",
            timezone.now(),
        )
        return super().change_view(request, object_id, form_url, extra_context)

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
        assignment = response.assignment
        visibility = dict(WorksheetItem.Visibility.choices)
        rows = [
            (
                item.prompt,
                answer_text(item, response.answers.get(item.key)),
                visibility[assignment.visibility_of(item)],
            )
            for item in items
        ]
        return format_html(
            "<table><thead><tr><th>Question</th><th>Answer</th><th>Who may see it</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="Scores")
    def score_table(self, response):
        scores = response.scores
        if not scores:
            return "Scored when submitted."
        rows = [
            (
                s["label"],
                f"{s['score']} of {s['maximum']}" if s["score"] is not None else "Incomplete",
                s["band"] or "—",
            )
            for s in scores.get("subscales", [])
        ]
        if scores.get("preferred_balance") is not None:
            rows.append(
                (
                    "Preferred balance (0 apart – 10 together)",
                    f"{scores['preferred_balance']} of 10",
                    "—",
                )
            )
        if figures := scores.get("map"):
            rows.append(
                (
                    "Interdependence map (connection, autonomy; 1–5)",
                    f"{figures['connection']:g}, {figures['autonomy']:g}",
                    map_summary(figures),
                )
            )
        changes = ", ".join(
            f"{key.replace('_', ' ')} {delta:+g}" for key, delta in scores.get("change", {}).items()
        )
        return format_html(
            "<table><thead><tr><th>Measure</th><th>Score</th><th>Band</th></tr></thead>"
            "<tbody>{}</tbody></table><p>Change since the previous time: {}</p><p>{}</p>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
            changes or "none to compare",
            scores.get("disclaimer", ""),
        )

    @admin.display(description="The couple")
    def couple_table(self, response):
        result = couple_result(response)
        if result is None:
            return "Shown once both partners have submitted."
        other = other_partners_response(response).partner.display_name
        me = response.partner.display_name

        def percent(value):
            return f"{value}%" if value is not None else "no guesses to compare"

        rows = [
            (
                "Gap in preferred balance (0–10)",
                result.balance.gap if result.balance.gap is not None else "—",
                result.balance.label,
            ),
            (f"How closely {me} guessed {other}", percent(result.a_guessed_b), ""),
            (f"How closely {other} guessed {me}", percent(result.b_guessed_a), ""),
        ]
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


@admin.register(Reminder)
class ReminderAdmin(ScopedAdmin):
    """The delivery log: every message the system sends (invitations, nudges, requested
    links, notices and alert e-mails to counselors, webhooks to the practice's systems),
    sent, due or given up on."""

    scope = staticmethod(access.reminders_for)
    list_display = [
        "partner_name",
        "couple",
        "kind",
        "channel",
        "due_at",
        "sent_at",
        "status",
        "attempts",
        "last_error",
        "response_code",
    ]
    list_select_related = ["partner__couple"]
    list_filter = ["status", "kind", "channel", ("due_at", admin.DateFieldListFilter)]
    search_fields = ["partner__display_name", "partner__couple__label"]
    date_hierarchy = "due_at"
    actions = ["resend_selected"]
    fields = [
        "partner_name",
        "couple",
        "kind",
        "channel",
        "due_at",
        "expires_at",
        "status",
        "attempts",
        "sent_at",
        "delivered_at",
        "provider_id",
        "last_error",
        "event_type",
        "event_id",
        "receiver",
        "response_code",
    ]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        # Needed for the resend action; the rows themselves stay read-only.
        return access.can_use_dashboard(request.user)

    @admin.display(description="Partner", ordering="partner__display_name")
    def partner_name(self, reminder):
        return reminder.partner.display_name

    @admin.display(description="Couple", ordering="partner__couple__label")
    def couple(self, reminder):
        return reminder.partner.couple.label

    @admin.display(description="Receiver")
    def receiver(self, reminder):
        # The host only: a webhook address may carry the receiving system's own key.
        if reminder.subscription_id is None:
            return "—"
        return urlsplit(reminder.subscription.url).hostname

    @admin.action(description="Send the selected failed, skipped or unknown messages again")
    def resend_selected(self, request, queryset):
        count = resend(reminder_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now())
        messages.success(
            request,
            f"{count} message(s) will go out within a minute; the others were not failed, "
            "skipped or of unknown outcome, or are past the moment they were for.",
        )


class WorksheetItemInline(BoundedInlineMixin, admin.TabularInline):
    model = WorksheetItem
    fields = ["position", "section", "kind", "prompt", "subscale", "reverse_keyed", "visibility"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VersionFilter(admin.SimpleListFilter):
    title = "versions"
    parameter_name = "versions"

    def lookups(self, request, model_admin):
        return [("all", "Every version")]

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"] == "All":
                choice["display"] = "Current versions"
            yield choice

    def queryset(self, request, queryset):
        # The library shows the current version of each worksheet unless asked for all.
        if self.value() == "all":
            return queryset
        return queryset.filter(pk__in=latest_templates().values("pk"))


@admin.register(WorksheetTemplate)
class WorksheetTemplateAdmin(ScopedAdmin):
    # Templates hold no client data: every counselor sees the whole library.
    scope = staticmethod(lambda user: WorksheetTemplate.objects.all())
    list_display = ["title", "short_purpose", "estimated_minutes", "version", "preview_link"]
    list_filter = [VersionFilter]
    search_fields = ["title", "purpose"]
    fields = [
        "title",
        "version",
        "purpose",
        "instructions",
        "estimated_minutes",
        "counselor_notes",
        "prompts",
        "grounding_list",
        "preview_link",
        "version_history",
    ]
    readonly_fields = fields
    inlines = [WorksheetItemInline]

    @admin.display(description="Purpose")
    def short_purpose(self, template):
        return template.purpose

    @admin.display(description="Preview")
    def preview_link(self, template):
        url = reverse("admin:worksheets_worksheettemplate_preview", args=[template.pk])
        return format_html('<a href="{}">See it as a client does</a>', url)

    @admin.display(description="Discussion prompts")
    def prompts(self, template):
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}</li>", ((p,) for p in template.discussion_prompts)),
        )

    @admin.display(description="Grounded in")
    def grounding_list(self, template):
        findings = template.grounding.get("findings", [])
        constructs = ", ".join(
            c.replace("_", " ") for c in template.grounding.get("constructs", [])
        )
        return format_html(
            "<p>{}</p><ul>{}</ul>",
            constructs or "—",
            format_html_join("", "<li>{}</li>", ((f,) for f in findings)),
        )

    @admin.display(description="Version history")
    def version_history(self, template):
        versions = (
            WorksheetTemplate.objects.filter(slug=template.slug)
            .annotate(times_assigned=Count("assignments"))
            .order_by("-version")
        )
        rows = [
            (
                reverse("admin:worksheets_worksheettemplate_change", args=[v.pk]),
                v.version,
                date_format(timezone.localtime(v.created_at), "DATE_FORMAT"),
                v.times_assigned,
            )
            for v in versions
        ]
        return format_html(
            "<table><thead><tr><th>Version</th><th>Loaded</th><th>Times assigned</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            format_html_join(
                "", '<tr><td><a href="{}">v{}</a></td><td>{}</td><td>{}</td></tr>', rows
            ),
        )

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="worksheets_worksheettemplate_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request, object_id):
        template = self.get_object(request, object_id)
        items = list(template.items.all())
        form = AnswerForm(items=items)
        context = {
            "preview": True,
            "worksheet": template,
            "form": form,
            "questions": form.questions(),
            "answered": 0,
            "total": len(items),
            "shared_keys": {
                i.key for i in items if i.visibility == WorksheetItem.Visibility.SHARED
            },
            "time_zone": "UTC",
        }
        return TemplateResponse(request, "clients/worksheet.html", context)
