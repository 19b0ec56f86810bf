"""The agents, families and charity API (docs/api.md). Each view parses, calls one service or selector, renders."""
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound, ValidationError
from accounts.inputs import InputError, date_check
from loyalty import selectors as loyalty_selectors
from loyalty.api.auth import HasAdminScope
from loyalty.api.serializers import ErrorSerializer
from loyalty.api.views import IDEMPOTENCY_HEADER, customer_or_404, data_object, merchant_of, replay_aware
from loyalty.money import money_quantize
from loyalty.services.idempotency import idempotent_call
from referrals import social_selectors as selectors
from referrals.api import social_serializers as s
from referrals.services import funds as fund_services

READ_ERRORS = {404: ErrorSerializer}
ERRORS = {404: ErrorSerializer, 409: ErrorSerializer, 422: ErrorSerializer}
FUND_CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 32, "pattern": r"^[A-Za-z0-9_-]+$"},
                             OpenApiParameter.PATH, description="The fund's code")
CUSTOMER_ID = OpenApiParameter("customer_id", {"type": "string", "format": "uuid"}, OpenApiParameter.PATH, description="The customer's id")
FUND_EXAMPLE = {"code": "shelter", "name": "City animal shelter", "description": "", "active": True}


def fund_payload(fund) -> dict:
    return {"code": fund.code, "name": fund.name, "description": fund.description, "active": fund.active}


def fund_or_404(request, code: str):
    fund = selectors.fund_get(merchant=merchant_of(request), code=code)
    if fund is None:
        raise NotFound("No fund with this code.", code="fund_not_found")
    return fund


def date_param(request, name: str):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    from datetime import date

    try:
        return date_check(date.fromisoformat(raw))
    except (ValueError, InputError):
        raise ValidationError({name: ["Send a date as YYYY-MM-DD."]})


class FundListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.FundSerializer(many=True)}, examples=[OpenApiExample("Funds", value=FUND_EXAMPLE, response_only=True)])
    def get(self, request):
        return Response([fund_payload(fund) for fund in selectors.fund_list(merchant=merchant_of(request))])

    @extend_schema(request=s.FundSerializer, responses={201: s.FundSerializer, **ERRORS},
                   examples=[OpenApiExample("Shelter", value=FUND_EXAMPLE, request_only=True)],
                   description="409 `fund_exists` when the code is taken.")
    def post(self, request):
        fund = fund_services.fund_create(merchant=merchant_of(request), data=data_object(request))
        return Response(fund_payload(fund), status=201)


class FundDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[FUND_CODE], responses={200: s.FundSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Fund", value=FUND_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(fund_payload(fund_or_404(request, code)))

    @extend_schema(parameters=[FUND_CODE], request=s.FundPatchSerializer, responses={200: s.FundSerializer, **ERRORS},
                   examples=[OpenApiExample("Stop collecting", value={"active": False}, request_only=True)])
    def patch(self, request, code):
        fund = fund_services.fund_update(fund=fund_or_404(request, code), data=data_object(request))
        return Response(fund_payload(fund))


class FundReportApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(
        parameters=[FUND_CODE,
                    OpenApiParameter("from", {"type": "string", "format": "date"}, description="First day (merchant's timezone), inclusive"),
                    OpenApiParameter("to", {"type": "string", "format": "date"}, description="Last day, inclusive")],
        responses={200: s.FundReportSerializer, **READ_ERRORS},
        examples=[OpenApiExample("November", response_only=True, value={"code": "shelter", "name": "City animal shelter", "points": 12500,
                                                                        "amount": "12500.00", "donors": 41, "donations": 57})],
    )
    def get(self, request, code):
        merchant = merchant_of(request)
        fund = fund_or_404(request, code)
        start, end = date_param(request, "from"), date_param(request, "to")
        if start and end and start > end:
            raise ValidationError({"to": ["`to` must not be before `from`."]})
        report = selectors.fund_report(merchant=merchant, fund=fund, start=start, end=end)
        return Response({"code": fund.code, "name": fund.name, "points": report.points,
                         "amount": str(money_quantize(report.amount, merchant.currency)), "donors": report.donors,
                         "donations": report.donations})


class CustomerDonationsApi(APIView):
    @extend_schema(
        parameters=[CUSTOMER_ID, IDEMPOTENCY_HEADER], request=s.DonationRequestSerializer, responses={201: s.DonationSerializer, **ERRORS},
        examples=[OpenApiExample("Give 100", value={"fund": "shelter", "points": 100}, request_only=True),
                  OpenApiExample("Given", response_only=True, status_codes=["201"],
                                 value={"id": 17, "fund": "shelter", "points": 100, "balance": {"available": 200, "pending": 0}})],
        description="Spends points soonest-expiring first. 422 `insufficient_points`, `fund_inactive`, `redeem_not_allowed` "
                    "(a family member without the right to spend).",
    )
    def post(self, request, customer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        data = data_object(request)

        def run():
            code, points = fund_services.donation_parse(data)
            donation = fund_services.donation_create(customer=customer, fund_code=code, points=points, now=timezone.now())
            balance = loyalty_selectors.balance_get(merchant=merchant, customer=customer)
            return 201, {"id": donation.pk, "fund": code, "points": donation.points, "balance": balance.as_dict()}

        status, body, replayed = idempotent_call(
            merchant=merchant, key=request.headers.get("Idempotency-Key"), endpoint=f"customers.donations:{customer.pk}", data=data, run=run
        )
        return replay_aware(Response(body, status=status), replayed)


AGENT_TIE_EXAMPLE = {"agent": "5f0c6f9e-2f7a-4d8e-9d1c-0c8b7a6e5d4c", "client_discount_percent": "10.00", "agent_points_percent": "5.00"}


def agent_tie_payload(tie) -> dict:
    from referrals.services.agents import tie_split
    from loyalty.texts import masked_name

    discount, points = tie_split(tie)
    return {"client": str(tie.client_id), "agent": str(tie.agent.customer_id), "agent_name": masked_name(tie.agent.customer),
            "agent_percent": str(tie.agent.percent), "client_discount_percent": str(discount), "agent_points_percent": str(points)}


class CustomerAgentApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(
        parameters=[CUSTOMER_ID], request=s.AgentTieRequestSerializer, responses={200: s.AgentTieSerializer, **ERRORS},
        examples=[OpenApiExample("10% off for the client, 5% points for the agent", value=AGENT_TIE_EXAMPLE, request_only=True),
                  OpenApiExample("Tied", response_only=True, value={"client": "0b6d5c1e-9a8f-4e7d-8c6b-5a4f3e2d1c0b", **AGENT_TIE_EXAMPLE,
                                                                     "agent_name": "Irina ••45", "agent_percent": "15.00"})],
        description="Tie the client to an agent. Without the two percents the client gets no discount and the agent their whole "
                    "agent_percent; the two may not add up to more than it (400).",
    )
    def put(self, request, customer_id):
        from referrals.services.agents import agent_tie

        merchant = merchant_of(request)
        client = customer_or_404(merchant=merchant, customer_id=customer_id)
        return Response(agent_tie_payload(agent_tie(merchant=merchant, client=client, data=data_object(request))))

    @extend_schema(parameters=[CUSTOMER_ID], responses={204: None, **READ_ERRORS}, description="Untie the client from their agent.")
    def delete(self, request, customer_id):
        from referrals.services.agents import agent_untie

        merchant = merchant_of(request)
        client = customer_or_404(merchant=merchant, customer_id=customer_id)
        if not agent_untie(merchant=merchant, client=client):
            raise NotFound("This customer has no agent.", code="agent_not_found")
        return Response(status=204)


FAMILY_EXAMPLE = {"owner": "5f0c6f9e-2f7a-4d8e-9d1c-0c8b7a6e5d4c",
                  "members": [{"id": "0b6d5c1e-9a8f-4e7d-8c6b-5a4f3e2d1c0b", "name": "Masha", "phone": "+79991112233", "can_redeem": True}],
                  "balance": {"available": 1250, "pending": 0}}
MEMBER_ID = OpenApiParameter("member_id", {"type": "string", "format": "uuid"}, OpenApiParameter.PATH, description="The member's customer id")


def family_payload(*, merchant, owner) -> dict:
    view = selectors.family_of(merchant=merchant, customer=owner)
    holder = view.owner if view is not None else owner
    return {
        "owner": str(holder.pk),
        "members": [{"id": str(row.customer_id), "name": row.customer.name, "phone": row.customer.phone, "can_redeem": row.can_redeem}
                    for row in (view.members if view is not None else [])],
        "balance": loyalty_selectors.balance_get(merchant=merchant, customer=holder).as_dict(),
    }


class CustomerFamilyApi(APIView):
    @extend_schema(parameters=[CUSTOMER_ID], responses={200: s.FamilySerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Family", value=FAMILY_EXAMPLE, response_only=True)],
                   description="The family the customer belongs to (as owner or member), with the shared balance.")
    def get(self, request, customer_id):
        merchant = merchant_of(request)
        return Response(family_payload(merchant=merchant, owner=customer_or_404(merchant=merchant, customer_id=customer_id)))

    @extend_schema(
        parameters=[CUSTOMER_ID, IDEMPOTENCY_HEADER], request=s.FamilyAddSerializer, responses={201: s.FamilySerializer, **ERRORS},
        examples=[OpenApiExample("Add Masha", value={"phone": "+79991112233", "can_redeem": True}, request_only=True),
                  OpenApiExample("Added", value=FAMILY_EXAMPLE, response_only=True, status_codes=["201"])],
        description="Add the customer with this phone (registered on the spot if new) to the owner's family; their points move "
                    "into the family balance. 409 `already_in_family`.",
    )
    def post(self, request, customer_id):
        from referrals.services.families import family_add_parse, family_member_add

        merchant = merchant_of(request)
        owner = customer_or_404(merchant=merchant, customer_id=customer_id)
        data = data_object(request)

        def run():
            phone, can_redeem, name = family_add_parse(data)
            family_member_add(owner=owner, phone=phone, can_redeem=can_redeem, name=name, now=timezone.now())
            return 201, family_payload(merchant=merchant, owner=owner)

        status, body, replayed = idempotent_call(
            merchant=merchant, key=request.headers.get("Idempotency-Key"), endpoint=f"customers.family:{owner.pk}", data=data, run=run
        )
        return replay_aware(Response(body, status=status), replayed)


class CustomerFamilyMemberApi(APIView):
    @extend_schema(parameters=[CUSTOMER_ID, MEMBER_ID], request=s.FamilyMemberPatchSerializer, responses={200: s.FamilySerializer, **ERRORS},
                   examples=[OpenApiExample("May spend", value={"can_redeem": True}, request_only=True)],
                   description="Change whether the member may spend the family balance.")
    def patch(self, request, customer_id, member_id):
        from referrals.services.families import family_member_update

        merchant = merchant_of(request)
        owner = customer_or_404(merchant=merchant, customer_id=customer_id)
        row = selectors.family_member_get(merchant=merchant, owner=owner, member_id=member_id)
        if row is None:
            raise NotFound("No such member in this customer's family.", code="family_member_not_found")
        data = data_object(request)
        unknown = sorted(key for key in data if key != "can_redeem")
        if unknown or "can_redeem" not in data:
            raise ValidationError({key: ["Unknown field."] for key in unknown} or {"can_redeem": ["Send true or false."]})
        family_member_update(owner=owner, member=row.customer, can_redeem=data["can_redeem"])
        return Response(family_payload(merchant=merchant, owner=owner))

    @extend_schema(parameters=[CUSTOMER_ID, MEMBER_ID], responses={204: None, **READ_ERRORS},
                   description="Take the member out of the family; the points stay in the family balance.")
    def delete(self, request, customer_id, member_id):
        from referrals.services.families import family_member_remove

        merchant = merchant_of(request)
        owner = customer_or_404(merchant=merchant, customer_id=customer_id)
        row = selectors.family_member_get(merchant=merchant, owner=owner, member_id=member_id)
        if row is None:
            raise NotFound("No such member in this customer's family.", code="family_member_not_found")
        family_member_remove(owner=owner, member=row.customer)
        return Response(status=204)
