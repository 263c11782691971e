"""The API's counseling sessions: listed, booked, moved and called off, by the dashboard's
rules (therapy/sessions.py). The "before your session" nudges follow a booked, moved or
cancelled session there, whoever made the change.

Scoped like the dashboard: a session of a couple outside the caller's scope answers 404.
"""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from therapy import access, api_problems, idempotency
from therapy.api_auth import KeyAwareView
from therapy.api_problems import valid_body
from therapy.models import CounselingSession
from therapy.serializers import (
    EmptySerializer,
    SessionCreateSerializer,
    SessionDetailSerializer,
    SessionMoveSerializer,
)
from therapy.sessions import SessionError, cancel_session, move_session, schedule_session

TAGS = ["sessions"]
READ = api_problems.responses(401, 403, 404, 429)


def get_session_for(user, session_id) -> CounselingSession:
    try:
        return (
            access.sessions_for(user).select_related("couple", "counselor__user").get(pk=session_id)
        )
    except CounselingSession.DoesNotExist:
        raise Http404("No such session.") from None


def session_counselor(user, couple, counselor_id: int | None):
    """Who the session is with: one of the couple's counselors, named, or else the counselor
    booking it, as on the dashboard. A key has no counselor of its own, and names one."""
    if counselor_id is not None:
        named = couple.counselors.select_related("user").filter(pk=counselor_id).first()
        if named is None:
            raise exceptions.ValidationError(
                {"counselor": ["Choose one of the couple's counselors."]}
            )
        return named
    counselor = access.counselor_for(user)
    if counselor is None or counselor.pk is None:
        raise exceptions.ValidationError(
            {"counselor": ["Name the session's counselor: one of the couple's counselors."]}
        )
    return counselor


def refused(error: SessionError) -> exceptions.ValidationError:
    return exceptions.ValidationError({"starts_at": [str(error)]})


class CoupleSessionsView(KeyAwareView, APIView):
    """GET: the couple's sessions, earliest first. POST: book one."""

    @extend_schema(tags=TAGS, responses={200: SessionDetailSerializer(many=True), **READ})
    def get(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        access.record_view(request, couple, "sessions (API)", timezone.now())
        sessions = couple.sessions.select_related("counselor__user").order_by("starts_at", "pk")
        return Response(SessionDetailSerializer(sessions, many=True).data)

    @extend_schema(
        tags=TAGS,
        parameters=[idempotency.HEADER_PARAMETER],
        request=SessionCreateSerializer,
        responses={201: SessionDetailSerializer, **api_problems.WRITE_REFUSALS},
    )
    def post(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        body = valid_body(SessionCreateSerializer, request)
        counselor = session_counselor(request.user, couple, body.get("counselor"))
        try:
            session = schedule_session(
                couple=couple, counselor=counselor, starts_at=body["starts_at"], now=timezone.now()
            )
        except SessionError as error:
            raise refused(error) from None
        return Response(SessionDetailSerializer(session).data, status=201)


class SessionView(KeyAwareView, APIView):
    """GET: a session. PATCH: move it to a new time (`starts_at`)."""

    @extend_schema(tags=TAGS, responses={200: SessionDetailSerializer, **READ})
    def get(self, request, session_id: int):
        session = get_session_for(request.user, session_id)
        access.record_view(request, session.couple, "session (API)", timezone.now())
        return Response(SessionDetailSerializer(session).data)

    @extend_schema(
        tags=TAGS,
        request=SessionMoveSerializer,
        responses={200: SessionDetailSerializer, **api_problems.WRITE_REFUSALS},
    )
    def patch(self, request, session_id: int):
        session = get_session_for(request.user, session_id)
        body = valid_body(SessionMoveSerializer, request)
        try:
            session = move_session(session=session, starts_at=body["starts_at"], now=timezone.now())
        except SessionError as error:
            raise refused(error) from None
        return Response(SessionDetailSerializer(session).data)


class SessionCancelView(KeyAwareView, APIView):
    """POST: call the session off. Its "before your session" nudges go to the next session,
    or are dropped when there is none."""

    @extend_schema(
        tags=TAGS,
        parameters=[idempotency.HEADER_PARAMETER],
        request=EmptySerializer,
        responses={204: None, **api_problems.WRITE_REFUSALS},
    )
    def post(self, request, session_id: int):
        valid_body(EmptySerializer, request)
        session = get_session_for(request.user, session_id)
        try:
            cancel_session(session=session, now=timezone.now())
        except SessionError as error:
            raise exceptions.ValidationError([str(error)]) from None
        return Response(status=204)
