"""The client portal: what a partner sees after opening their personal link."""


from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from clients import portal
from clients.forms import ContactPreferencesForm, NewLinkForm
from clients.links import (
    find_usable_link,
    hash_token,
    partner_from_unsubscribe_token,
    partners_with_address,
    spend,
)
from clients.preferences import record_consent, turn_off_reminders, update_contact_preferences
from clients.progress import own_progress
from clients.ratelimit import allow
from therapy.access import responses_of_partner
from therapy.charts import map_chart
from therapy.client_address import client_ip
from worksheets.reminders import request_link
from worksheets.scoring import DISCLAIMER


@never_cache
def open_link(request, token):
    """Keep the token's hash in the session and move it out of the address bar.

    Opening the link signs nobody in: mail scanners open links too. The Continue button does.
    """
    request.session[portal.PENDING_LINK_KEY] = hash_token(token)
    response = redirect("portal:welcome")
    # The token is in this address only; nothing may pass it on as a referrer.
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request):
    """Continue signs in with the pending link, and uses it up: a link works once."""
    now = timezone.now()
    link = find_usable_link(request.session.get(portal.PENDING_LINK_KEY, ""), now)
    if link is not None and request.method == "POST" and spend(link, now):
        portal.sign_in(request, link)
        return redirect("portal:home")
    if link is not None and request.method == "GET":
        return render(request, "clients/welcome.html", {"partner": link.partner})
    if portal.signed_in_partner(request) is not None:
        # Already in, by this link or another (Back, or Continue pressed twice).
        return redirect("portal:home")
    return render(request, "clients/link_invalid.html", status=410)


@never_cache
def signed_out(request):
    return render(request, "clients/signed_out.html")


@require_POST
def sign_out_view(request):
    portal.sign_out(request)
    return redirect("portal:signed-out")


@never_cache
@require_http_methods(["GET", "POST"])
def new_link(request):
    """Ask for a fresh link by e-mail. The answer is the same whether or not the address is
    known, and sending happens in the background so the timing does not tell either."""
    form = NewLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if allow(f"link-ip:{client_ip(request)}", limit=10, window_seconds=3600) and allow(
            f"link-address:{hash_token(email)}", limit=3, window_seconds=3600
        ):
            for partner in partners_with_address(email):
                request_link(partner=partner, now=timezone.now())
        return render(request, "clients/new_link.html", {"sent": True})
    return render(
        request, "clients/new_link.html", {"form": form}, status=400 if form.is_bound else 200
    )


@portal.partner_required
@require_http_methods(["GET", "POST"])
def consent(request):
    if request.method == "POST":
        record_consent(request.partner, request.now)
        return redirect("portal:home")
    return render(request, "clients/consent.html", {"partner": request.partner})


@portal.partner_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    partner = request.partner
    form = ContactPreferencesForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        update_contact_preferences(partner=partner, changes=changes, now=request.now)
        messages.success(request, "Your choices are saved. Reminders will follow them.")
        return redirect("portal:preferences")
    return render(
        request,
        "clients/preferences.html",
        {"form": form, "partner": partner},
        status=400 if form.errors else 200,
    )


@portal.partner_required
def progress(request):
    """The partner's own results over time; nothing of the other partner's."""
    if request.partner.consented_at is None:
        return redirect("portal:consent")
    own = own_progress(request.partner)
    return render(
        request,
        "clients/progress.html",
        {
            "partner": request.partner,
            "progress": own,
            "map_svg": map_chart([(request.partner, own.map_points)]) if own.map_points else "",
            "disclaimer": DISCLAIMER,
        },
    )


@portal.partner_required
def home(request):
    if request.partner.consented_at is None:
        return redirect("portal:consent")
    responses = list(
        responses_of_partner(request.partner)
        .select_related("assignment__template", "partner")
        # Worksheets due at the same moment keep one order from one visit to the next.
        .order_by("due_at", "pk")
    )
    open_work = [r for r in responses if not r.is_submitted and r.assignment.is_active]
    finished = [r for r in responses if r.is_submitted]
    return render(
        request,
        "clients/home.html",
        {
            "partner": request.partner,
            "open_work": open_work,
            "finished": finished,
            "now": request.now,
        },
    )


@never_cache
@csrf_exempt  # RFC 8058 one-click: the mail app posts without a form; the token is signed.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks to confirm (mail scanners open links); POST turns reminders off."""
    partner = partner_from_unsubscribe_token(token)
    if partner is None:
        return render(request, "clients/unsubscribe.html", {"invalid": True}, status=404)
    done = request.method == "POST"
    if done:
        turn_off_reminders(partner)
    response = render(request, "clients/unsubscribe.html", {"done": done})
    response["Referrer-Policy"] = "no-referrer"
    return response
