"""The API's couples and partners: listed, read, added, changed and closed, by the dashboard's
rules (clients/couples.py, and the dashboard's own forms for the values).

Scoped like the dashboard (therapy.access): a couple or partner outside the caller's scope
answers 404, a counselor changes only the couples of their caseload, and a key acts as the
practice's admin. Every change is in the change history under the caller's account (the key's
own, for a key); every read of a couple is in the access log.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from clients import couples
from clients.models import Couple, Partner
from therapy import access, api_problems, idempotency
from therapy.api import page_body
from therapy.api_auth import KeyAwareView
from therapy.api_pages import rows_page
from therapy.api_problems import valid_body, valid_query
from therapy.models import Counselor
from therapy.serializers import (
    CoupleCreateSerializer,
    CoupleDetailSerializer,
    CoupleInputSerializer,
    CouplePageSerializer,
    CoupleQuerySerializer,
    EmptySerializer,
    PartnerCreateSerializer,
    PartnerDetailSerializer,
    PartnerUpdateSerializer,
)

TAGS = ["couples"]
READ = api_problems.responses(401, 403, 404, 429)
# The API's names for the dashboard form's fields, where they differ.
FORM_NAMES = {"name": "display_name"}
API_NAMES = {form: api for api, form in FORM_NAMES.items()}


def couples_with_details(user):
    return access.couples_for(user).prefetch_related(
        Prefetch("partners", queryset=Partner.objects.order_by("pk")),
        Prefetch("counselors", queryset=Counselor.objects.select_related("user")),
    )


def get_partner_for(user, partner_id) -> Partner:
    try:
        return access.partners_for(user).select_related("couple__practice").get(pk=partner_id)
    except Partner.DoesNotExist:
        raise Http404("No such partner.") from None


def filled_form(form_class, given: dict, *, instance=None, **form_kwargs):
    """The dashboard's form as it would be posted: each field as the page shows it for
    `instance` (or a new row), the API's values over them. A field left out stays as it is."""
    shown = form_class(instance=instance, **form_kwargs)
    data = {name: shown[name].value() for name in shown.fields}
    data.update({FORM_NAMES.get(name, name): value for name, value in given.items()})
    return form_class(data, instance=instance, **form_kwargs)


def form_errors(form) -> dict:
    return {API_NAMES.get(name, name): list(errors) for name, errors in form.errors.items()}


def check_form(form) -> None:
    """Refuse the request, naming each field, unless the form is valid."""
    if not form.is_valid():
        raise exceptions.ValidationError(form_errors(form))


def check_new_couple(couple_form, partner_forms) -> None:
    """The same, for a couple and its partners: `#/partners/1/phone`."""
    errors = {} if couple_form.is_valid() else form_errors(couple_form)
    partner_errors = [{} if form.is_valid() else form_errors(form) for form in partner_forms]
    if any(partner_errors):
        errors["partners"] = partner_errors
    if errors:
        raise exceptions.ValidationError(errors)


def chosen_counselors(user, ids: list[int] | None) -> list[Counselor] | None:
    """The counselors named by `ids`, or None when none were named. Only a practice admin (or a
    key, which acts as one) chooses a couple's counselors."""
    if ids is None:
        return None
    counselor = access.counselor_for(user)
    if not access.is_operator(user) and (counselor is None or not counselor.is_practice_admin):
        raise exceptions.ValidationError(
            {"counselors": ["Only a practice admin chooses a couple's counselors."]}
        )
    found = list(Counselor.objects.filter(pk__in=ids).select_related("user"))
    if len(found) < len(set(ids)):
        raise exceptions.ValidationError({"counselors": [couples.OTHER_PRACTICE]})
    return found


def refused(error: couples.CoupleError) -> exceptions.ValidationError:
    return exceptions.ValidationError({error.field: [str(error)]})


def without(body: dict, *names: str) -> dict:
    return {name: value for name, value in body.items() if name not in names}


class CouplesView(KeyAwareView, APIView):
    """GET: the caller's couples, by label, a page at a time (`?status=`, `?cursor=`).
    POST: a new couple with its partners, in the caller's practice."""

    @extend_schema(
        tags=TAGS,
        operation_id="couples_list",
        parameters=[CoupleQuerySerializer],
        responses={200: CouplePageSerializer, **api_problems.responses(400, 401, 403, 429)},
    )
    def get(self, request):
        query = valid_query(CoupleQuerySerializer, request)
        rows = couples_with_details(request.user)
        if "status" in query:
            rows = rows.filter(status=query["status"])
        page = rows_page(rows, order=("label", "pk"), cursor=query.get("cursor"))
        return Response(CouplePageSerializer(page_body(request, page)).data)

    @extend_schema(
        tags=TAGS,
        parameters=[idempotency.HEADER_PARAMETER],
        request=CoupleCreateSerializer,
        responses={201: CoupleDetailSerializer, **api_problems.WRITE_REFUSALS},
    )
    def post(self, request):
        counselor = access.counselor_for(request.user)
        if counselor is None:
            raise exceptions.PermissionDenied("Only a counselor of a practice adds couples.")
        body = valid_body(CoupleCreateSerializer, request)
        zone = counselor.practice.time_zone  # a new partner starts in it, as on the dashboard
        couple_form = filled_form(couples.CoupleForm, without(body, "partners", "counselors"))
        partner_forms = [
            filled_form(couples.PartnerForm, partner, default_time_zone=zone)
            for partner in body["partners"]
        ]
        check_new_couple(couple_form, partner_forms)
        # The one adding the couple is its counselor, as on the dashboard; a key has no
        # counselor of its own, and names the couple's.
        named = chosen_counselors(request.user, body.get("counselors"))
        own = [counselor] if counselor.pk is not None else []
        try:
            couple = couples.create_couple(
                practice=counselor.practice,
                couple_form=couple_form,
                partner_forms=partner_forms,
                counselors=own if named is None else named,
            )
        except couples.CoupleError as error:
            raise refused(error) from None
        return Response(CoupleDetailSerializer(couple).data, status=201)


class CoupleView(KeyAwareView, APIView):
    """GET: a couple with its partners and counselors. PATCH: change its label, status,
    individual work or (a practice admin) counselors."""

    @extend_schema(tags=TAGS, responses={200: CoupleDetailSerializer, **READ})
    def get(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        access.record_view(request, couple, "couple (API)", timezone.now())
        return Response(CoupleDetailSerializer(couple).data)

    @extend_schema(
        tags=TAGS,
        request=CoupleInputSerializer,
        responses={200: CoupleDetailSerializer, **api_problems.WRITE_REFUSALS},
    )
    def patch(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        body = valid_body(CoupleInputSerializer, request)
        couple_form = filled_form(couples.CoupleForm, without(body, "counselors"), instance=couple)
        check_form(couple_form)
        try:
            couple = couples.update_couple(
                couple_form=couple_form,
                counselors=chosen_counselors(request.user, body.get("counselors")),
            )
        except couples.CoupleError as error:
            raise refused(error) from None
        return Response(CoupleDetailSerializer(couple).data)


class CoupleStatusView(KeyAwareView, APIView):
    """POST: the couple's new status, as the dashboard's status field sets it."""

    new_status = ""

    def post(self, request, couple_id: int):
        valid_body(EmptySerializer, request)
        couple = access.get_couple_for(request.user, couple_id)
        couple_form = filled_form(couples.CoupleForm, {"status": self.new_status}, instance=couple)
        check_form(couple_form)
        return Response(CoupleDetailSerializer(couples.update_couple(couple_form=couple_form)).data)


STATUS_SCHEMA = {
    "tags": TAGS,
    "parameters": [idempotency.HEADER_PARAMETER],
    "request": EmptySerializer,
    "responses": {200: CoupleDetailSerializer, **api_problems.WRITE_REFUSALS},
}


@extend_schema_view(post=extend_schema(operation_id="couples_close", **STATUS_SCHEMA))
class CoupleCloseView(CoupleStatusView):
    """POST: close the couple's work; the retention period runs from now."""

    new_status = Couple.Status.CLOSED


@extend_schema_view(post=extend_schema(operation_id="couples_pause", **STATUS_SCHEMA))
class CouplePauseView(CoupleStatusView):
    """POST: pause the couple's work."""

    new_status = Couple.Status.PAUSED


@extend_schema_view(post=extend_schema(operation_id="couples_reopen", **STATUS_SCHEMA))
class CoupleReopenView(CoupleStatusView):
    """POST: make a closed or paused couple active again."""

    new_status = Couple.Status.ACTIVE


class CouplePartnersView(KeyAwareView, APIView):
    """POST: a partner for a couple that has one (a couple has at most two)."""

    @extend_schema(
        tags=TAGS,
        parameters=[idempotency.HEADER_PARAMETER],
        request=PartnerCreateSerializer,
        responses={201: PartnerDetailSerializer, **api_problems.WRITE_REFUSALS},
    )
    def post(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        body = valid_body(PartnerCreateSerializer, request)
        form = filled_form(couples.PartnerForm, body, default_time_zone=couple.practice.time_zone)
        check_form(form)
        try:
            partner = couples.add_partner(couple=couple, partner_form=form)
        except couples.CoupleError as error:
            raise refused(error) from None
        return Response(PartnerDetailSerializer(partner).data, status=201)


class PartnerView(KeyAwareView, APIView):
    """GET: a partner's details. PATCH: change them, or remove the partner from the work
    (`"removed": true`): their past answers stay, nothing new goes to them."""

    @extend_schema(tags=TAGS, responses={200: PartnerDetailSerializer, **READ})
    def get(self, request, partner_id: int):
        partner = get_partner_for(request.user, partner_id)
        access.record_view(request, partner.couple, f"partner #{partner.pk} (API)", timezone.now())
        return Response(PartnerDetailSerializer(partner).data)

    @extend_schema(
        tags=TAGS,
        request=PartnerUpdateSerializer,
        responses={200: PartnerDetailSerializer, **api_problems.WRITE_REFUSALS},
    )
    def patch(self, request, partner_id: int):
        partner = get_partner_for(request.user, partner_id)
        body = valid_body(PartnerUpdateSerializer, request)
        form = filled_form(
            couples.PartnerForm,
            body,
            instance=partner,
            default_time_zone=partner.couple.practice.time_zone,
        )
        check_form(form)
        partner = couples.update_partner(partner_form=form, now=timezone.now())
        return Response(PartnerDetailSerializer(partner).data)
