"""The API's worksheet endpoints: the library of worksheets and their versions, a couple's
responses with their stored scores, and assignments (made, paused, cancelled).

Scoped like the rest of the API (therapy.access): a couple, response or assignment outside the
caller's caseload answers 404, and every read of a couple is written to the access log. An
assignment is checked by the assign page's own form and made by the dashboard's own functions
(worksheets.assignments), so the API plans exactly the invitations and reminders the dashboard
would. A response's answers are those its partner shared with the other partner
(therapy.access.answers_visible_to_partner), never a private one.
"""

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from therapy import access, api_problems
from therapy.api import COUPLE_REFUSALS, REFUSALS, page_body
from therapy.api_auth import KeyAwareView
from therapy.api_pages import rows_page
from therapy.api_problems import QueryError
from therapy.worksheet_serializers import (
    AssignmentListSerializer,
    AssignmentRequestSerializer,
    AssignmentSerializer,
    AssignmentsMadeSerializer,
    ResponseDetailSerializer,
    ResponsesPageSerializer,
    ResponsesQuerySerializer,
    WorksheetSerializer,
    WorksheetVersionSerializer,
    WorksheetWithVersionsSerializer,
)
from worksheets.answers import answer_text
from worksheets.assignments import (
    AssignmentError,
    assign_to_partners,
    cancel_assignment,
    pause_assignment,
)
from worksheets.forms import steps
from worksheets.interdependence import position_label
from worksheets.library import latest_templates
from worksheets.models import Assignment, Response, WorksheetTemplate

LIBRARY = ["worksheets"]
RESPONSES = ["responses"]
ASSIGNMENTS = ["assignments"]
NOT_FOUND = api_problems.responses(404)
REFUSED = api_problems.responses(400)


# --- The library ----------------------------------------------------------------------------


def _current_template(slug: str) -> WorksheetTemplate:
    template = latest_templates().filter(slug=slug).first()
    if template is None:
        raise Http404("No such worksheet.")
    return template


class WorksheetListView(KeyAwareView, APIView):
    """GET: the worksheets that can be assigned, each at its current version, as the assign
    page offers them."""

    @extend_schema(
        tags=LIBRARY,
        operation_id="worksheets_list",
        responses={200: WorksheetSerializer(many=True), **REFUSALS},
    )
    def get(self, request):
        templates = latest_templates().order_by("title")
        return ApiResponse(WorksheetSerializer(templates, many=True).data)


class WorksheetDetailView(KeyAwareView, APIView):
    """GET: one worksheet at its current version, with every version loaded."""

    @extend_schema(
        tags=LIBRARY, responses={200: WorksheetWithVersionsSerializer, **REFUSALS, **NOT_FOUND}
    )
    def get(self, request, slug: str):
        template = _current_template(slug)
        # Counted within the caller's scope: how often other practices assign it is theirs.
        in_scope = Q(assignments__couple__in=access.couples_for(request.user))
        template.versions = (
            WorksheetTemplate.objects.filter(slug=slug)
            .annotate(times_assigned=Count("assignments", filter=in_scope))
            .order_by("-version")
        )
        return ApiResponse(WorksheetWithVersionsSerializer(template).data)


def subscales_of(template: WorksheetTemplate) -> list[dict]:
    return [
        {
            "key": spec["key"],
            "label": spec.get("label", spec["key"]),
            "items": spec["items"],
            "bands": [
                {"up_to": band["up_to"], "label": band.get("label", "")}
                for band in spec.get("bands", [])
            ],
        }
        for spec in template.scoring.get("subscales", [])
    ]


class WorksheetVersionView(KeyAwareView, APIView):
    """GET: one version of a worksheet: its parts (one page each for the partner), their
    questions with their scales and choices, and the subscales it scores."""

    @extend_schema(
        tags=LIBRARY, responses={200: WorksheetVersionSerializer, **REFUSALS, **NOT_FOUND}
    )
    def get(self, request, slug: str, version: int):
        current = _current_template(slug)
        try:
            template = WorksheetTemplate.objects.get(slug=slug, version=version)
        except WorksheetTemplate.DoesNotExist:
            raise Http404("No such version.") from None
        template.current = template.pk == current.pk
        template.parts = [
            {"number": part.number, "title": part.title, "items": part.items}
            for part in steps(list(template.items.all()))
        ]
        template.subscales = subscales_of(template)
        return ApiResponse(WorksheetVersionSerializer(template).data)


# --- Responses ------------------------------------------------------------------------------


def responses_of(user, couple, filters: dict):
    """The couple's responses the user may read, filtered; with what each row shows."""
    responses = (
        access.responses_for(user)
        .filter(assignment__couple=couple)
        .select_related("assignment__template", "partner")
    )
    if "partner" in filters:
        responses = responses.filter(partner_id=filters["partner"])
    if "worksheet" in filters:
        responses = responses.filter(assignment__template__slug=filters["worksheet"])
    if "status" in filters:
        responses = responses.filter(status=filters["status"])
    return responses


class CoupleResponsesView(KeyAwareView, APIView):
    """GET: the couple's responses, soonest deadline first, a page at a time; `?partner=`,
    `?worksheet=` (a slug) and `?status=` filter them."""

    @extend_schema(
        tags=RESPONSES,
        parameters=[ResponsesQuerySerializer],
        responses={200: ResponsesPageSerializer, **REFUSED, **COUPLE_REFUSALS},
    )
    def get(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        query = ResponsesQuerySerializer(data=request.query_params, context={"couple": couple})
        if not query.is_valid():
            raise QueryError(query.errors)
        access.record_view(request, couple, "responses (API)", timezone.now())
        page = rows_page(
            responses_of(request.user, couple, query.validated_data),
            order=("due_at", "pk"),
            cursor=query.validated_data.get("cursor"),
        )
        return ApiResponse(ResponsesPageSerializer(page_body(request, page)).data)


def stored_scores(response: Response) -> dict | None:
    """The scores kept with the response when it was handed in, as the API shows them: never
    worked out again, and without the raw answers and guesses they were built from."""
    if not response.is_submitted or not response.scores:
        return None
    scores = response.scores
    figures = scores.get("map")
    return {
        "subscales": scores.get("subscales", []),
        "preferred_balance": scores.get("preferred_balance"),
        "lean": scores.get("lean"),
        "map": figures
        and {
            "connection": figures["connection"],
            "autonomy": figures["autonomy"],
            "position": position_label(figures["position"]),
        },
        "change": [
            {"key": key, "change": delta} for key, delta in scores.get("change", {}).items()
        ],
        "disclaimer": scores.get("disclaimer", ""),
    }


def shared_answers(response: Response) -> list[dict]:
    """The answers of a handed-in response that its partner shared with the other partner:
    the one rule of what leaves a partner's private view (therapy.access)."""
    if not response.is_submitted:
        return []
    items = list(response.assignment.template.items.all())
    visible = access.answers_visible_to_partner(response, items)
    return [
        {
            "key": item.key,
            "prompt": item.prompt,
            "value": visible[item.key],
            "text": answer_text(item, visible[item.key]),
        }
        for item in items
        if item.key in visible
    ]


class ResponseDetailView(KeyAwareView, APIView):
    """GET: one response: its status and deadline, the scores stored when it was handed in,
    and the answers its partner shared."""

    @extend_schema(tags=RESPONSES, responses={200: ResponseDetailSerializer, **COUPLE_REFUSALS})
    def get(self, request, response_id: int):
        try:
            response = (
                access.responses_for(request.user)
                .select_related("assignment__template", "assignment__couple", "partner")
                .get(pk=response_id)
            )
        except Response.DoesNotExist:
            raise Http404("No such response.") from None
        access.record_view(
            request,
            response.assignment.couple,
            f"answers of {response.partner.display_name} (API)",
            timezone.now(),
        )
        context = {"scores": stored_scores(response), "answers": shared_answers(response)}
        return ApiResponse(ResponseDetailSerializer(response, context=context).data)


# --- Assignments ----------------------------------------------------------------------------


def assignments_of(user):
    return (
        access.assignments_for(user)
        .select_related("template", "assigned_by__user")
        .prefetch_related("responses")
    )


def get_assignment_for(user, assignment_id) -> Assignment:
    try:
        return assignments_of(user).select_related("couple").get(pk=assignment_id)
    except Assignment.DoesNotExist:
        raise Http404("No such assignment.") from None


def acting_counselor(user):
    """Who assigns: the signed-in counselor; nobody for a key, whose counselor is not a
    person (therapy.api_keys.acting_user)."""
    counselor = access.counselor_for(user)
    return counselor if counselor is not None and counselor.pk is not None else None


def refusal(error: AssignmentError) -> ValidationError:
    """A domain refusal as the API's field errors: the field it is about, under the API's name."""
    api_names = {"for_partner": "partner", "due_at": "due_date"}
    field = api_names.get(error.field, error.field) if error.field else "non_field_errors"
    return ValidationError({field: [str(error)]})


class CoupleAssignmentsView(KeyAwareView, APIView):
    """GET: the couple's assignments, newest first. POST: assign a worksheet, with the assign
    page's choices and rules."""

    @extend_schema(tags=ASSIGNMENTS, responses={200: AssignmentListSerializer, **COUPLE_REFUSALS})
    def get(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        access.record_view(request, couple, "assignments (API)", timezone.now())
        assignments = assignments_of(request.user).filter(couple=couple).order_by("-created_at")
        return ApiResponse(AssignmentListSerializer({"results": assignments}).data)

    @extend_schema(
        tags=ASSIGNMENTS,
        request=AssignmentRequestSerializer,
        responses={201: AssignmentsMadeSerializer, **api_problems.WRITE_REFUSALS},
    )
    def post(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        asked = AssignmentRequestSerializer(data=request.data, context={"couple": couple})
        asked.is_valid(raise_exception=True)
        form = asked.validated_data["form"]
        try:
            made = assign_to_partners(
                couple=couple,
                template=form.cleaned_data["template"],
                partner=form.cleaned_data["for_partner"],
                due_date=form.cleaned_data["due_date"],
                assigned_by=acting_counselor(request.user),
                visibility_overrides=form.visibility_overrides(),
                reminder_plan=form.reminder_plan(),
                reveal=form.cleaned_data["reveal"],
                now=timezone.now(),
                **form.repetition(),
            )
        except AssignmentError as error:
            raise refusal(error) from None
        assignments = assignments_of(request.user).filter(pk__in=[a.pk for a in made])
        return ApiResponse(
            AssignmentsMadeSerializer({"assignments": assignments.order_by("pk")}).data,
            status=201,
        )


class AssignmentDetailView(KeyAwareView, APIView):
    """GET: one assignment, with each partner's occurrences."""

    @extend_schema(tags=ASSIGNMENTS, responses={200: AssignmentSerializer, **COUPLE_REFUSALS})
    def get(self, request, assignment_id: int):
        assignment = get_assignment_for(request.user, assignment_id)
        access.record_view(request, assignment.couple, "assignment (API)", timezone.now())
        return ApiResponse(AssignmentSerializer(assignment).data)


class AssignmentChangeView(KeyAwareView, APIView):
    """A POST that changes an assignment's state by one domain function, answering the
    assignment as it is afterwards."""

    def post(self, request, assignment_id: int):
        assignment = get_assignment_for(request.user, assignment_id)
        try:
            self.change(assignment)
        except AssignmentError as error:
            raise refusal(error) from None
        return ApiResponse(
            AssignmentSerializer(get_assignment_for(request.user, assignment.pk)).data
        )


CHANGE_RESPONSES = {200: AssignmentSerializer, **api_problems.WRITE_REFUSALS}


class PauseAssignmentView(AssignmentChangeView):
    """POST: pause an active assignment: partners cannot answer it meanwhile and no reminder
    of it goes out. A paused assignment can be cancelled."""

    @extend_schema(tags=ASSIGNMENTS, request=None, responses=CHANGE_RESPONSES)
    def post(self, request, assignment_id: int):
        return super().post(request, assignment_id)

    def change(self, assignment):
        pause_assignment(assignment=assignment)


class CancelAssignmentView(AssignmentChangeView):
    """POST: cancel an assignment, as the dashboard's "Cancel the selected assignments":
    partners can no longer answer it and its reminders stop. Cancelling again changes nothing."""

    @extend_schema(
        tags=ASSIGNMENTS, request=None, responses={200: AssignmentSerializer, **COUPLE_REFUSALS}
    )
    def post(self, request, assignment_id: int):
        return super().post(request, assignment_id)

    def change(self, assignment):
        cancel_assignment(assignment=assignment)
