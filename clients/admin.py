from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from clients.couples import MOST_PARTNERS, REMINDER_TIMING_FIELDS
from clients.forms import (
    AssignWorksheetForm,
    ErasureForm,
    FollowUpForm,
    PartnerAdminForm,
    ScheduleSessionForm,
    chosen_template,
)
from clients.links import revoke_links
from clients.models import Couple, Partner
from clients.partner_export_pdf import render_export_pdf
from clients.partner_rights import erase_couple, erase_partner, export_partner
from therapy import access, dashboard, exports
from therapy.admin_site import ScopedAdmin
from therapy.alerts import AcknowledgementError, acknowledge
from therapy.brief import session_brief
from therapy.brief_pdf import brief_map_context, render_brief_pdf
from therapy.charts import couple_charts, map_context
from therapy.history import couple_history
from therapy.input_limits import BoundedInlineMixin
from therapy.notes import CounselorNoteForm, add_note
from therapy.sessions import SessionError, schedule_session
from worksheets.assignments import AssignmentError, assign_to_partners
from worksheets.reminders import reschedule_partner


class PartnerFormSet(BaseInlineFormSet):
    default_error_messages = {
        **BaseInlineFormSet.default_error_messages,
        "too_few_forms": "Add at least one partner.",
    }


class PartnerInline(BoundedInlineMixin, admin.StackedInline):
    model = Partner
    form = PartnerAdminForm
    formset = PartnerFormSet
    template = "admin/clients/couple/partner_inline.html"
    extra = 2
    max_num = MOST_PARTNERS
    min_num = 1
    fields = [
        "display_name",
        "email",
        "time_zone",
        ("quiet_hours_start", "quiet_hours_end"),
        "preferred_hour",
        ("channel", "phone"),
        "reminders_enabled",
        "removed",
    ]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj else 2

    def get_formset(self, request, obj=None, **kwargs):
        # min_num alone only shapes the blank forms: a post claiming no forms at all would
        # make a couple without a partner.
        kwargs.setdefault("validate_min", True)
        return super().get_formset(request, obj, **kwargs)

    def has_view_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Couple)
class CoupleAdmin(ScopedAdmin):
    scope = staticmethod(access.couples_for)
    list_display = ["couple_page", "status", "partner_names", "submitted_total", "added"]
    # The couple's name opens the couple's page; its details are one click further.
    list_display_links = None
    list_filter = ["status"]
    search_fields = ["label", "partners__display_name"]
    inlines = [PartnerInline]
    readonly_fields = ["worksheet_progress", "upcoming_sessions"]
    change_form_template = "admin/clients/couple/change_form.html"
    actions = ["revoke_personal_links"]

    @admin.action(description="Revoke every personal link of the selected couples")
    def revoke_personal_links(self, request, queryset):
        count = revoke_links(
            partners=Partner.objects.filter(couple__in=queryset), now=timezone.now()
        )
        messages.success(request, f"{count} link(s) revoked. Partners can ask for a new one.")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("partners")
            .annotate(
                submitted=Count(
                    "assignments__responses",
                    filter=Q(assignments__responses__status="submitted"),
                )
            )
        )

    def get_fields(self, request, obj=None):
        fields = ["label", "status", "individual_work_only"]
        if access.is_operator(request.user):
            fields += ["practice", "counselors"]
        return [*fields, "upcoming_sessions", "worksheet_progress"] if obj else fields

    def has_add_permission(self, request):
        return access.counselor_for(request.user) is not None or access.is_operator(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_use_dashboard(request.user)

    @admin.display(description="Couple", ordering="label")
    def couple_page(self, couple):
        url = reverse("admin:clients_couple_overview", args=[couple.pk])
        return format_html('<a href="{}">{}</a>', url, couple.label)

    @admin.display(description="Added", ordering="created_at")
    def added(self, couple):
        return f"Added {date_format(timezone.localtime(couple.created_at), 'DATE_FORMAT')}"

    @admin.display(description="Partners")
    def partner_names(self, couple):
        return ", ".join(partner.display_name for partner in couple.partners.all())

    @admin.display(description="Worksheets handed in", ordering="submitted")
    def submitted_total(self, couple):
        # Said in words, so the figure reads alone in a phone's card too.
        return f"{couple.submitted} handed in"

    @admin.display(description="Worksheets")
    def worksheet_progress(self, couple):
        partners = list(couple.partners.all())
        rows = [
            dashboard.assignment_progress(assignment, partners)
            for assignment in couple.assignments.select_related("template").prefetch_related(
                "responses"
            )
        ]
        if not rows:
            return "No worksheets assigned yet."
        cells = []
        for row in rows:
            states = format_html(
                "".join("<td>{}</td>" for _ in row.states),
                *[self._state_link(state) for state in row.states],
            )
            cells.append(
                format_html(
                    "<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
                    row.assignment.template.title,
                    date_format(timezone.localtime(row.assignment.due_at), "DATE_FORMAT"),
                    row.assignment.get_status_display(),
                    states,
                )
            )
        header = format_html(
            "".join("<th>{}</th>" for _ in partners), *[p.display_name for p in partners]
        )
        return format_html(
            '<table class="progress-table"><thead><tr><th>Worksheet</th><th>Due</th>'
            "<th>Status</th>{}</tr></thead><tbody>{}</tbody></table>",
            header,
            format_html("".join("{}" for _ in cells), *cells),
        )

    @staticmethod
    def _state_link(state):
        if state.response is None:
            return state.label
        url = reverse("admin:worksheets_response_change", args=[state.response.pk])
        return format_html('<a href="{}">{}</a>', url, state.label)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, PartnerInline):
            # A new partner starts in the practice's time zone: most live near it.
            practice = obj.practice if obj is not None and obj.practice_id else None
            counselor = access.counselor_for(request.user)
            if practice is None and counselor is not None:
                practice = counselor.practice
            if practice is not None:
                kwargs["form_kwargs"] = {"default_time_zone": practice.time_zone}
        return kwargs

    def save_model(self, request, obj, form, change):
        counselor = access.counselor_for(request.user)
        if not change and counselor is not None and not access.is_operator(request.user):
            obj.practice = counselor.practice
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        moved = [
            f.instance
            for f in formset.forms
            if f.instance.pk and REMINDER_TIMING_FIELDS & set(f.changed_data)
        ]
        super().save_formset(request, form, formset, change)
        # New times for reminders not yet sent; what went out stays as it was.
        for partner in moved:
            reschedule_partner(partner=partner, now=timezone.now())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        counselor = access.counselor_for(request.user)
        if not change and counselor is not None and not access.is_operator(request.user):
            form.instance.counselors.add(counselor)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name="clients_couple_assign",
            ),
            path(
                "<path:object_id>/overview/",
                self.admin_site.admin_view(self.overview_view),
                name="clients_couple_overview",
            ),
            path(
                "<path:object_id>/scores.csv",
                self.admin_site.admin_view(self.scores_csv_view),
                name="clients_couple_scores_csv",
            ),
            path(
                "<path:object_id>/brief/",
                self.admin_site.admin_view(self.brief_view),
                name="clients_couple_brief",
            ),
            path(
                "<path:object_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="clients_couple_schedule",
            ),
            path(
                "<path:object_id>/partners/<int:partner_id>/export.<str:kind>",
                self.admin_site.admin_view(self.export_view),
                name="clients_couple_export_partner",
            ),
            path(
                "<path:object_id>/partners/<int:partner_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="clients_couple_erase_partner",
            ),
            path(
                "<path:object_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="clients_couple_erase",
            ),
            *super().get_urls(),
        ]

    def _partner_of(self, request, object_id, partner_id):
        couple = access.get_couple_for(request.user, object_id)
        partner = couple.partners.filter(pk=partner_id).first()
        if partner is None:
            raise Http404("No such partner.")
        return couple, partner

    def export_view(self, request, object_id, partner_id, kind):
        """Everything held about one partner, as JSON or as a readable PDF."""
        if kind not in {"json", "pdf"}:
            raise Http404("No such export.")
        couple, partner = self._partner_of(request, object_id, partner_id)
        now = timezone.now()
        access.record_view(request, couple, f"export of partner #{partner.pk} ({kind})", now)
        export = export_partner(partner, now=now)
        if kind == "pdf":
            response = HttpResponse(render_export_pdf(export), content_type="application/pdf")
        else:
            response = JsonResponse(export, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = f'attachment; filename="partner-{partner.pk}.{kind}"'
        response["Cache-Control"] = "no-store"
        return response

    def erase_view(self, request, object_id, partner_id=None):
        """Erase a partner, or the whole couple, after the counselor types its name."""
        if access.counselor_for(request.user) is None and not access.is_operator(request.user):
            raise PermissionDenied
        if partner_id is None:
            couple = access.get_couple_for(request.user, object_id)
            partner, name = None, couple.label
        else:
            couple, partner = self._partner_of(request, object_id, partner_id)
            name = partner.display_name
        form = ErasureForm(request.POST or None, name=name)
        if request.method == "POST" and form.is_valid():
            details = {"by": request.user, "reason": form.cleaned_data["reason"]}
            if partner is None:
                erase_couple(couple, now=timezone.now(), **details)
                messages.success(request, "The couple and everything held about them is erased.")
                return redirect("admin:clients_couple_changelist")
            erase_partner(partner, now=timezone.now(), **details)
            messages.success(request, "The partner and everything held about them is erased.")
            return redirect("admin:clients_couple_overview", couple.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Erase {name}",
            "couple": couple,
            "partner": partner,
            "name": name,
            "form": form,
            "opts": self.model._meta,
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(request, "admin/clients/couple/erase.html", context, status=status)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        couple = access.get_couple_for(request.user, object_id)
        access.record_view(request, couple, "couple details", timezone.now())
        # Titled by the couple, not the stock "Change couple".
        titles = {"title": f"{couple.label}: details", "subtitle": None, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, titles)

    def overview_view(self, request, object_id):
        """The couple's page: urgent alerts first, then charts, timeline, deliveries,
        answers, notes, alerts."""
        couple = access.get_couple_for(request.user, object_id)
        now = timezone.now()
        counselor = access.counselor_for(request.user)
        refused = None
        if request.method == "POST" and "acknowledge" in request.POST:
            if counselor is None:
                raise PermissionDenied
            refused = self._acknowledge(request, couple, counselor, now)
            if refused is None:
                return redirect("admin:clients_couple_overview", couple.pk)
        # Bound only to a note being posted: an unbound form on a plain visit shows no error.
        posting_note = request.method == "POST" and refused is None
        note_form = CounselorNoteForm(request.POST if posting_note else None)
        if request.method == "POST" and counselor and note_form.is_valid():
            add_note(
                couple=couple, counselor=counselor, text=note_form.cleaned_data["text"], now=now
            )
            messages.success(request, "Note saved.")
            return redirect("admin:clients_couple_overview", couple.pk)
        access.record_view(request, couple, "couple overview", now)
        detail = dashboard.couple_detail(couple, now=now)
        # A refused follow-up note comes back as typed, with its error.
        sent_back = {refused.alert.pk: refused} if refused is not None else {}
        context = {
            **self.admin_site.each_context(request),
            "title": couple.label,
            "detail": detail,
            "urgent_alerts": [
                (urgent, sent_back.get(urgent.alert.pk) or FollowUpForm(alert=urgent.alert))
                for urgent in detail.urgent_alerts
            ],
            "charts": couple_charts(detail),
            **map_context(detail.map_paths),
            "history": couple_history(couple),
            "note_form": note_form,
            "can_write_notes": counselor is not None,
            "opts": self.model._meta,
            "now": now,
        }
        return TemplateResponse(
            request,
            "admin/clients/couple/overview.html",
            context,
            status=400 if refused is not None else 200,
        )

    @staticmethod
    def _acknowledge(request, couple, counselor, now) -> FollowUpForm | None:
        """Acknowledge one of this couple's open alerts from its page, with the counselor's
        follow-up note. Returns the form, with its error, when it was refused."""
        alert_id = request.POST["acknowledge"]
        # Only this couple's alerts: the couple is already scoped to the user.
        alert = (
            couple.alerts.filter(pk=int(alert_id), acknowledged_at__isnull=True).first()
            if alert_id.isascii() and alert_id.isdigit() and len(alert_id) <= 18
            else None
        )
        if alert is None:
            messages.info(request, "That alert is no longer open.")
            return None
        form = FollowUpForm(request.POST, alert=alert)
        if form.is_valid():
            try:
                count = acknowledge(
                    alerts=couple.alerts.filter(pk=alert.pk),
                    counselor=counselor,
                    now=now,
                    note=form.cleaned_data["note"],
                )
            except AcknowledgementError as error:
                form.add_error("note", str(error))
            else:
                # A colleague may have acknowledged it a moment before.
                if count:
                    messages.success(request, "Alert acknowledged.")
                else:
                    messages.info(request, "That alert is no longer open.")
                return None
        return form

    def scores_csv_view(self, request, object_id):
        """The couple's scores over time as CSV: the stored scores, never an answer's text."""
        couple = access.get_couple_for(request.user, object_id)
        now = timezone.now()
        access.record_view(request, couple, "scores (CSV)", now)
        return exports.csv_response(
            exports.score_rows(couple), filename=f"scores-{couple.pk}-{now:%Y-%m-%d}.csv"
        )

    def brief_view(self, request, object_id):
        couple = access.get_couple_for(request.user, object_id)
        now = timezone.now()
        brief = session_brief(couple, now=now)
        paper = request.GET.get("paper", "")
        access.record_view(request, couple, f"session brief{' (PDF)' if paper else ''}", now)
        if paper:
            pdf = render_brief_pdf(brief, paper=paper if paper in ("a4", "letter") else "a4")
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="brief-{couple.pk}.pdf"'
            response["Cache-Control"] = "no-store"
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": f"Brief: {couple.label}",
            "brief": brief,
            **brief_map_context(brief),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/clients/couple/brief.html", context)

    def schedule_view(self, request, object_id):
        couple = access.get_couple_for(request.user, object_id)
        counselor = access.counselor_for(request.user)
        if counselor is None:
            raise PermissionDenied
        form = ScheduleSessionForm(
            request.POST or None, practice_time_zone=couple.practice.time_zone
        )
        if request.method == "POST" and form.is_valid():
            try:
                schedule_session(
                    couple=couple,
                    counselor=counselor,
                    starts_at=form.cleaned_data["starts_at"],
                    now=timezone.now(),
                )
            except SessionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    "Session scheduled. Worksheets still open then will "
                    "get a reminder the day before.",
                )
                return redirect("admin:clients_couple_change", couple.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Schedule a session with {couple.label}",
            "couple": couple,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/clients/couple/schedule.html", context)

    @admin.display(description="Sessions")
    def upcoming_sessions(self, couple):
        sessions = couple.sessions.filter(starts_at__gte=timezone.now()).select_related(
            "counselor__user"
        )
        if not sessions:
            return "No upcoming sessions."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} with {}</li>",
                (
                    (
                        date_format(timezone.localtime(s.starts_at), "DATETIME_FORMAT"),
                        s.counselor.display_name,
                    )
                    for s in sessions
                ),
            ),
        )

    def assign_view(self, request, object_id):
        couple = access.get_couple_for(request.user, object_id)
        if not self.has_change_permission(request, couple):
            raise PermissionDenied
        template = chosen_template(request.POST or request.GET)
        form = AssignWorksheetForm(
            request.POST if request.POST.get("confirm") else None,
            couple=couple,
            template=template,
        )
        if form.is_bound and form.is_valid():
            try:
                assignments = assign_to_partners(
                    couple=couple,
                    template=form.cleaned_data["template"],
                    partner=form.cleaned_data["for_partner"],
                    due_date=form.cleaned_data["due_date"],
                    assigned_by=access.counselor_for(request.user),
                    visibility_overrides=form.visibility_overrides(),
                    reminder_plan=form.reminder_plan(),
                    reveal=form.cleaned_data["reveal"],
                    now=timezone.now(),
                    **form.repetition(),
                )
            except AssignmentError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, assigned_message(assignments))
                return redirect("admin:clients_couple_change", couple.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Assign a worksheet to {couple.label}",
            "couple": couple,
            "form": form,
            "template": template,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request,
            "admin/clients/couple/assign.html",
            context,
            status=400 if form.is_bound and form.errors else 200,
        )


def assigned_message(assignments) -> str:
    """Who was asked, and how each will hear of it: the invitation goes by their channel."""
    responses = [
        response
        for assignment in assignments
        for response in assignment.responses.select_related("partner").order_by("partner_id")
    ]
    by_channel: dict[str, list[str]] = {}
    for response in responses:
        by_channel.setdefault(response.partner.channel, []).append(response.partner.display_name)
    news = " ".join(
        f"{' and '.join(names)} will {'each ' if len(names) > 1 else ''}get "
        f"{'a text message' if channel == Partner.Channel.SMS else 'an e-mail'} "
        "with their personal link."
        for channel, names in by_channel.items()
    )
    title = assignments[0].template.title
    if len(assignments) > 1:
        return (
            f"“{title}” assigned to each partner separately: neither is told about the "
            f"other's. {news}"
        )
    return f"“{title}” assigned. {news}"
