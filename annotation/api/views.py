from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.api.serializers import (
    ClaimInput,
    ItemOutput,
    LabelInput,
    LabelOutput,
    StatsOutput,
    SubmitAndNextInput,
    SubmitAndNextOutput,
    claim_input,
    item_output,
    label_output,
    submit_and_next_input,
    submit_and_next_output,
)
from annotation.selectors import campaign_stats, item_for_lease, item_for_rater
from annotation.services.assignment import assignment_claim, assignment_release
from annotation.services.labels import label_submit, label_submit_and_claim
from annotation.services.raters import warning_acknowledge
from collection.selectors import campaign_get, campaign_id_for_slug
from config.api_errors import ErrorSerializer, NotFound, error_responses, retry_after_seconds
from config.throttling import ThrottledTokenAuthentication

NO_WORK = "No rating work left for you right now. Try again later."


class RatingPathApi(APIView):
    """The endpoints every rater calls for every item: a script's token is tried first (a token request never
    reads the session; a session request still gets CSRF checks), and the answer is JSON only (no browsable-API
    content negotiation). Throttling and permissions are the API's defaults."""

    authentication_classes = [ThrottledTokenAuthentication, SessionAuthentication]
    renderer_classes = [JSONRenderer]

    def get_authenticate_header(self, request) -> None:
        return None  # no credentials / a wrong token: 403 like every other endpoint (not the token scheme's 401)

    def perform_content_negotiation(self, request, force=False):
        """JSON is all these endpoints answer: a request whose Accept header is exactly `*/*` or
        `application/json` (or absent), with no query string (DRF's `?format=` override), skips DRF's parsing
        of the header; any other goes through DRF's negotiation (406 for text/html alone, 404 for `?format=api`,
        as before)."""
        meta = request.META
        if meta.get("HTTP_ACCEPT", "*/*") in _ACCEPTS_JSON and not meta.get("QUERY_STRING"):
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)


_ACCEPTS_JSON = frozenset({"*/*", "application/json"})


def _campaign_id(slug: str | None) -> int | None:
    if not slug:
        return None
    campaign_id = campaign_id_for_slug(slug)
    if campaign_id is None:
        raise NotFound(f"No campaign '{slug}'.")
    return campaign_id


class AssignmentNextApi(RatingPathApi):
    """Give me my next item: a lease on an item I did not chat and did not rate (the same one while I hold
    it)."""

    @extend_schema(
        request=ClaimInput,
        responses={
            200: ItemOutput,
            201: ItemOutput,
            **error_responses(400),
            403: OpenApiResponse(
                ErrorSerializer,
                description="code content_warning: read the campaign's warning (field `warning`) and POST "
                "campaigns/<slug>/warning/ before its first item",
            ),
            404: OpenApiResponse(ErrorSerializer, description=f"{NO_WORK} Or: no such campaign."),
            429: OpenApiResponse(
                ErrorSerializer, description="code daily_cap: the campaign's daily cap is reached (Retry-After)"
            ),
            503: OpenApiResponse(
                ErrorSerializer,
                description="code busy: open items exist but other raters hold them this moment; repeat after the "
                "Retry-After header's seconds. Or code unavailable: the database is down.",
            ),
        },
    )
    def post(self, request):
        campaign_id = _campaign_id(claim_input(request.data).get("campaign"))
        claim = assignment_claim(rater_id=request.user.pk, campaign_id=campaign_id)
        if claim is None:
            raise NotFound(NO_WORK, extra={"code": "no_work"})
        view = item_for_lease(lease=claim.lease)
        code = status.HTTP_200_OK if claim.reused else status.HTTP_201_CREATED
        return Response(item_output(view), status=code)


class ItemDetailApi(APIView):
    """An item I hold a lease on or rated: the dialog up to the rated turn and my own label."""

    @extend_schema(responses={200: ItemOutput, **error_responses(403, 404)})
    def get(self, request, item_id: int):
        return Response(item_output(item_for_rater(item_id=item_id, rater_id=request.user.pk)))


class AssignmentReleaseApi(APIView):
    """Skip a leased item: it goes back to the others without penalty, and is not offered to me again."""

    @extend_schema(request=None, responses={204: None, **error_responses(404)})
    def post(self, request, item_id: int):
        assignment_release(rater_id=request.user.pk, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LabelSubmitApi(RatingPathApi):
    """Rate a leased item. The same answers twice -> 200 with the stored label; different answers -> 409."""

    @extend_schema(
        request=LabelInput,
        responses={201: LabelOutput, 200: LabelOutput, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, item_id: int):
        data = LabelInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = label_submit(rater_id=request.user.pk, item_id=item_id, answers=data.validated_data["answers"])
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(label_output(result.label), status=code)


class SubmitAndNextApi(RatingPathApi):
    """Rate a leased item and get my next one, in one request (what the rating page does after every answer).
    The answers are checked and stored exactly as items/<id>/labels/ does, with its errors (nothing is stored
    then, and no item is claimed). Once the label is stored, the next item comes as assignments/next/ would give
    it (the same one again if I already hold a lease), or `no_next` says why there is none (no work left, busy,
    a content warning to read, the daily cap): the label stays stored either way. Sending the same request again
    (e.g. after a lost answer) gives 200 with the stored label and the same next item."""

    @extend_schema(
        request=SubmitAndNextInput,
        responses={
            201: SubmitAndNextOutput,
            200: OpenApiResponse(SubmitAndNextOutput, description="the same answers were already stored"),
            **error_responses(400, 403, 409),
            404: OpenApiResponse(ErrorSerializer, description="No such item, or no such campaign."),
            503: OpenApiResponse(ErrorSerializer, description="code unavailable: the database is down"),
        },
    )
    def post(self, request, item_id: int):
        data = submit_and_next_input(request.data)
        campaign_id = _campaign_id(data.get("campaign"))
        result = label_submit_and_claim(
            rater_id=request.user.pk, item_id=item_id, answers=data["answers"], campaign_id=campaign_id
        )
        view = no_next = None
        if result.claim is not None:
            view = item_for_lease(lease=result.claim.lease)
        elif result.refusal is None:
            no_next = {"detail": NO_WORK, "code": "no_work", "retry_after": None}
        else:
            refusal = result.refusal
            wait = retry_after_seconds(refusal) if refusal.status_code in (429, 503) else None
            no_next = {"detail": refusal.message, **refusal.extra, "retry_after": wait}
        code = status.HTTP_201_CREATED if result.submission.created else status.HTTP_200_OK
        return Response(submit_and_next_output(result.submission.label, view, no_next), status=code)


class CampaignStatsApi(APIView):
    """Sensibleness, specificity, interestingness and SSI so far (staff only)."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: StatsOutput, **error_responses(403, 404, 409)})
    def get(self, request, slug: str):
        campaign = campaign_get(slug=slug, active_only=False)
        return Response(StatsOutput(campaign_stats(campaign=campaign)).data)


class WarningAckApi(APIView):
    """I read this campaign's content warning (asked once, before my first item of it)."""

    @extend_schema(request=None, responses={204: None, **error_responses(404)})
    def post(self, request, slug: str):
        campaign = campaign_get(slug=slug, active_only=False)
        warning_acknowledge(rater_id=request.user.pk, campaign_id=campaign.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
