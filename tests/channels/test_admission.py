"""Dealer admission: the code's check, the documents' types and limits, who may apply, review
and see the documents, an approval that makes an active dealer with its account, and the
market the review page shows (the planning map of test_planning_run: Hangzhou's 4,600 cars a
year between the fixture's two outlets at its centre, Lishui's 2,300 beyond their reach)."""

from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from channels.admission.files import DOCUMENT_TYPES, PHOTO_TYPES, document_type
from channels.admission.licence import licence_normalised, licence_refusal
from channels.admission.selectors import market_context
from channels.admission.services import (
    ApplicationInput,
    account_invite,
    application_decide,
    application_save,
    application_submit,
    document_add,
)
from channels.models import (
    AdmissionDecision,
    ApplicationDocument,
    ApplicationStatus,
    Dealer,
    DealerApplication,
    DealerKind,
    DealerStatus,
    DocumentKind,
)
from channels.planning.services import network_plan
from dealerops.models import Role
from tests.channels.test_planning_run import planned_map  # noqa: F401 - the fixture
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    TODAY,
    ApplicationDocumentFactory,
    DealerApplicationFactory,
    DealerFactory,
    UserFactory,
    licence_code,
)

VALID_CODE = "91350100M000100Y43"  # GB 32100-2015's own example
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16


def form_data(parent=None, **changes) -> dict:
    data = {
        "company_name": "Hangzhou Xixi Motors Co., Ltd.",
        "licence_number": VALID_CODE,
        "legal_representative": "Zhang Wei",
        "outlet_name": "Xixi Secondary Outlet",
        "province": "Zhejiang",
        "city": "Hangzhou",
        "address": "1 Wuchang Road",
        "latitude": "30.280000",
        "longitude": "120.050000",
        "sales_headcount": "5",
        "monthly_sales_target": "25",
        "contact_name": "Chen Jing",
        "contact_phone": "138 1234 5678",
        "contact_email": "chen.jing@example.cn",
        "note": "A showroom of 400 m² on the ring road.",
    }
    if parent is not None:
        data["parent"] = parent.pk
    return {**data, **changes}


def application_input(parent, **changes) -> ApplicationInput:
    data = form_data(**changes)
    return ApplicationInput(
        parent=parent,
        **{
            **data,
            "latitude": Decimal(data["latitude"]),
            "longitude": Decimal(data["longitude"]),
            "sales_headcount": int(data["sales_headcount"]),
            "monthly_sales_target": int(data["monthly_sales_target"]),
        },
    )


def with_documents(application, kinds=(
    DocumentKind.BUSINESS_LICENCE, DocumentKind.REPRESENTATIVE_ID, DocumentKind.SHOWROOM_LEASE
)):  # fmt: skip
    for kind in kinds:
        ApplicationDocumentFactory(application=application, kind=kind)
    ApplicationDocumentFactory(
        application=application, kind=DocumentKind.SITE_PHOTO, content_type="image/png", original_name="site.png"
    )
    return application


def upload(name: str, content: bytes, kind: str = DocumentKind.BUSINESS_LICENCE) -> dict:
    return {"kind": kind, "file": SimpleUploadedFile(name, content)}


# --- the unified social credit code -----------------------------------------------------


@pytest.mark.parametrize("code", [VALID_CODE, "91310000775785552L", "9144030071526726XG", licence_code(7)])
def test_well_formed_codes_pass_the_check(code):
    assert licence_refusal(code) is None


def test_a_code_is_read_as_typed_with_spaces_hyphens_full_width_or_lower_case():
    assert licence_normalised(" 9135 0100-m000 100y43 ") == VALID_CODE
    assert licence_normalised("９１３５０１００Ｍ０００１００Ｙ４３") == VALID_CODE


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "has 18 characters; this one has 17"),
        ("91350100M00O100Y43", "“O” cannot be in a unified social credit code"),
        ("9135A100M000100Y43", "Characters 3 to 8"),
        ("91350100M000100Y44", "The last character does not match"),
    ],
)
def test_a_malformed_code_is_refused_saying_why(code, message):
    assert message in licence_refusal(code)


# --- the documents' files ---------------------------------------------------------------


@pytest.mark.parametrize(("content", "extension"), [(PDF_BYTES, "pdf"), (PNG_BYTES, "png"), (JPEG_BYTES, "jpg")])
def test_a_document_is_typed_by_its_first_bytes(content, extension):
    assert document_type(content, DOCUMENT_TYPES).extension == extension


@pytest.mark.parametrize(
    ("content", "allowed", "message"),
    [
        (b"<html><script>alert(1)</script></html>", DOCUMENT_TYPES, "Upload a PDF/JPG/PNG file"),
        (b"PK\x03\x04 a zip", DOCUMENT_TYPES, "Upload a PDF/JPG/PNG file"),
        (PDF_BYTES, PHOTO_TYPES, "Upload a JPG/PNG file"),
        (b"", DOCUMENT_TYPES, "The file is empty."),
    ],
)
def test_other_contents_are_refused_on_the_file_field(content, allowed, message):
    with pytest.raises(ValidationError) as refused:
        document_type(content, allowed)
    assert message in refused.value.message_dict["file"][0]


@override_settings(ADMISSION_DOCUMENT_MAX_BYTES=1024)
def test_a_document_past_the_size_limit_is_refused_naming_the_limit():
    with pytest.raises(ValidationError) as refused:
        document_type(PDF_BYTES + b"x" * 2048, DOCUMENT_TYPES)
    assert refused.value.message_dict["file"] == ["The file is 2 KB; documents up to 1 KB are accepted."]


# --- filing -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_parent_stores_dealer_user_files_a_draft_under_it_through_the_form(network, client_for):
    client = client_for(network.dealer_user)
    page = client.get(reverse("channels:admission-create"))
    assert page.status_code == 200 and 'name="parent"' not in page.content.decode()  # their own store
    response = client.post(reverse("channels:admission-create"), form_data())
    application = DealerApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == application.get_absolute_url()
    assert (application.parent, application.applied_by, application.status) == (
        network.home_dealer,
        network.dealer_user,
        ApplicationStatus.DRAFT,
    )
    assert (application.licence_number, application.contact_phone) == (VALID_CODE, "13812345678")


@pytest.mark.django_db
def test_a_duplicate_code_is_refused_on_its_field_and_nothing_is_written(network, client_for):
    DealerApplicationFactory(parent=network.home_dealer, licence_number=VALID_CODE, outlet_name="First Outlet")
    response = client_for(network.dealer_user).post(
        reverse("channels:admission-create"), form_data(licence_number="9135 0100 M000 100Y43")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["licence_number"] == [
        f"Application #{DealerApplication.objects.get().pk} (First Outlet, Draft) already holds this unified social"
        " credit code."
    ]
    assert DealerApplication.objects.count() == 1


@pytest.mark.django_db
def test_a_duplicate_of_another_regions_application_names_nothing_of_it(network):
    DealerApplicationFactory(parent=network.foreign_dealer, licence_number=VALID_CODE, outlet_name="Secret Outlet")
    with pytest.raises(ValidationError) as refused:
        application_save(user=network.dealer_user, data=application_input(network.home_dealer))
    assert refused.value.message_dict == {
        "licence_number": ["An application with this unified social credit code is already on file."]
    }


@pytest.mark.django_db
def test_a_rejected_company_may_apply_again_and_the_database_keeps_one_live_application_per_code(network):
    DealerApplicationFactory(
        parent=network.home_dealer, licence_number=VALID_CODE, submitted=True, status=ApplicationStatus.REJECTED
    )
    application_save(user=network.dealer_user, data=application_input(network.home_dealer))
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerApplicationFactory(parent=network.home_dealer, licence_number=VALID_CODE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": "3.0"}, "latitude", "lies outside China"),
        ({"contact_phone": "0571-8888"}, "contact_phone", "11-digit mainland mobile number"),
        ({"licence_number": "91350100M000100Y44"}, "licence_number", "does not match"),
        ({"sales_headcount": "0"}, "sales_headcount", "greater than or equal to 1"),
        ({"latitude": "north"}, "latitude", "Enter a number."),
        ({"contact_email": "chen"}, "contact_email", "email address"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(network, client_for, changes, field, message):
    response = client_for(network.dealer_user).post(reverse("channels:admission-create"), form_data(**changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not DealerApplication.objects.exists()


@pytest.mark.django_db
def test_a_manager_files_under_their_regions_stores_only(network, client_for):
    client = client_for(network.regional_manager)
    response = client.post(reverse("channels:admission-create"), form_data(parent=network.foreign_dealer))
    assert "parent" in response.context["form"].errors
    response = client.post(reverse("channels:admission-create"), form_data(parent=network.home_dealer))
    assert response.status_code == 302
    assert DealerApplication.objects.get().applied_by == network.regional_manager


@pytest.mark.django_db
def test_a_secondary_dealer_takes_no_secondary_dealer_of_its_own(network):
    secondary = DealerFactory(kind=DealerKind.SECONDARY, parent=network.home_dealer, region=network.home_region)
    user = UserFactory(role=Role.DEALER_USER, dealer=secondary)
    with pytest.raises(ValidationError) as refused:
        application_save(user=user, data=application_input(secondary))
    assert "cannot take a secondary dealer from you" in refused.value.message_dict["parent"][0]


@pytest.mark.django_db
def test_finance_neither_files_nor_sees_applications(network, client_for):
    application = DealerApplicationFactory(parent=network.home_dealer)
    client = client_for(network.finance_user)
    for url in (
        reverse("channels:admission-list"),
        reverse("channels:admission-create"),
        application.get_absolute_url(),
    ):
        assert client.get(url).status_code == 403


# --- documents --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_uploaded_document_is_kept_under_media_root_and_read_through_its_page_only(network, client_for, settings):
    application = DealerApplicationFactory(parent=network.home_dealer)
    client = client_for(network.dealer_user)
    url = reverse("channels:admission-upload", args=[application.pk])
    response = client.post(url, upload("营业执照.pdf", PDF_BYTES))
    assert response.status_code == 302
    document = ApplicationDocument.objects.get()
    assert (document.original_name, document.content_type, document.size) == (
        "营业执照.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )
    assert document.file.name.startswith(f"admission/{application.pk}/") and document.file.name.endswith(".pdf")
    stored = settings.MEDIA_ROOT / document.file.name
    assert stored.read_bytes() == PDF_BYTES
    served = client.get(document.get_absolute_url())
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert b"".join(served.streaming_content) == PDF_BYTES
    assert served["Content-Disposition"].startswith("inline;") and "no-store" in served["Cache-Control"]
    # No public URL serves the folder.
    assert client.get(f"/media/{document.file.name}").status_code == 404
    assert client.get(f"/{document.file.name}").status_code == 404


@pytest.mark.django_db
def test_a_disguised_or_oversized_file_is_refused_on_the_form_and_nothing_is_kept(network, client_for, settings):
    application = DealerApplicationFactory(parent=network.home_dealer)
    client = client_for(network.dealer_user)
    url = reverse("channels:admission-upload", args=[application.pk])
    response = client.post(url, upload("licence.pdf", b"<html>not a pdf</html>"))
    assert response.status_code == 400
    assert "Upload a PDF/JPG/PNG file" in response.context["upload_form"].errors["file"][0]
    response = client.post(url, upload("site.pdf", PDF_BYTES, kind=DocumentKind.SITE_PHOTO))
    assert "Upload a JPG/PNG file" in response.context["upload_form"].errors["file"][0]
    settings.ADMISSION_DOCUMENT_MAX_BYTES = 1024
    response = client.post(url, upload("huge.pdf", PDF_BYTES + b"x" * 200_000))
    assert response.status_code == 413
    assert "The file is larger than 1 KB, the limit for a document." in response.content.decode()
    assert not ApplicationDocument.objects.exists()
    assert not (settings.MEDIA_ROOT / "admission" / str(application.pk)).exists()


@pytest.mark.django_db
def test_a_draft_loses_a_file_and_a_submitted_application_keeps_its_files(
    network, client_for, settings, django_capture_on_commit_callbacks
):
    application = DealerApplicationFactory(parent=network.home_dealer)
    client = client_for(network.dealer_user)
    spare = ApplicationDocumentFactory(application=application, kind=DocumentKind.BANK_LETTER)
    stored = settings.MEDIA_ROOT / spare.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("channels:admission-document-remove", args=[spare.pk])).status_code == 302
    assert not ApplicationDocument.objects.filter(pk=spare.pk).exists() and not stored.exists()
    with_documents(application)
    application_submit(user=network.dealer_user, application=application)
    kept = application.documents.first()
    client.post(reverse("channels:admission-document-remove", args=[kept.pk]))
    response = client.post(reverse("channels:admission-upload", args=[application.pk]), upload("x.pdf", PDF_BYTES))
    assert response.status_code == 400
    assert application.documents.count() == 4
    # The database keeps them too, whatever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        kept.delete()
    with pytest.raises(Exception, match="application_document_never_edited"), transaction.atomic():
        ApplicationDocument.objects.filter(pk=kept.pk).update(original_name="changed.pdf")


@pytest.mark.django_db
def test_submission_waits_for_the_required_documents_and_names_the_missing_ones(network, client_for):
    application = DealerApplicationFactory(parent=network.home_dealer)
    document_add(
        user=network.dealer_user,
        application=application,
        kind=DocumentKind.BUSINESS_LICENCE,
        content=PDF_BYTES,
        file_name="licence.pdf",
    )
    response = client_for(network.dealer_user).post(reverse("channels:admission-submit", args=[application.pk]))
    assert response.status_code == 400
    assert (
        "Add these documents first: ID card of the legal representative, Showroom lease, Photo of the site."
        in response.content.decode()
    )
    with_documents(application, kinds=(DocumentKind.REPRESENTATIVE_ID, DocumentKind.SHOWROOM_LEASE))
    response = client_for(network.dealer_user).post(reverse("channels:admission-submit", args=[application.pk]))
    application.refresh_from_db()
    assert response.status_code == 302 and application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None


@pytest.mark.django_db
def test_who_sees_the_documents(network, client_for):
    """The parent store's users, the region's managers and head office; nobody else, and a
    document outside one's scope is not found rather than forbidden."""
    document = ApplicationDocumentFactory(application=DealerApplicationFactory(parent=network.home_dealer))
    url = document.get_absolute_url()
    for user in (network.dealer_user, network.regional_manager, network.head_office):
        assert client_for(user).get(url).status_code == 200, user
    assert client_for(network.finance_user).get(url).status_code == 403
    other_store = UserFactory(role=Role.DEALER_USER, dealer=network.foreign_dealer)
    other_manager = UserFactory(role=Role.REGIONAL_MANAGER, regions=[network.foreign_region])
    for user in (other_store, other_manager):
        assert client_for(user).get(url).status_code == 404, user
    client_for(network.dealer_user).logout()
    response = client_for(network.dealer_user).get(url)
    assert response.status_code == 200


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_no_document(network, client):
    document = ApplicationDocumentFactory(application=DealerApplicationFactory(parent=network.home_dealer))
    response = client.get(document.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- review -----------------------------------------------------------------------------


def submitted(network, **kwargs) -> DealerApplication:
    application = with_documents(DealerApplicationFactory(parent=network.home_dealer, **kwargs))
    return application_submit(user=network.dealer_user, application=application)


@pytest.mark.django_db
def test_the_regions_manager_approves_and_the_applicant_becomes_an_active_dealer_with_its_account(network, client_for):
    application = submitted(network)
    client = client_for(network.regional_manager)
    page = client.get(application.get_absolute_url()).content.decode()
    assert 'name="outcome"' in page
    response = client.post(
        application.get_absolute_url(), {"action": "decide", "outcome": "approved", "reason": "Fills the west side"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    dealer = application.dealer
    assert (dealer.kind, dealer.parent, dealer.status, dealer.region) == (
        DealerKind.SECONDARY,
        network.home_dealer,
        DealerStatus.ACTIVE,
        network.home_region,
    )
    assert (dealer.code, dealer.name, dealer.city, dealer.sales_headcount) == (
        "HZ01S01",
        application.outlet_name,
        "Hangzhou",
        4,
    )
    decision = AdmissionDecision.objects.get()
    assert (decision.outcome, decision.reason, decision.decided_by) == (
        "approved",
        "Fills the west side",
        network.regional_manager,
    )
    assert decision.decided_at is not None
    account = decision.account
    assert (account.username, account.role, account.dealer, account.email) == (
        "hz01s01",
        Role.DEALER_USER,
        dealer,
        "li.ming@example.cn",
    )
    assert not account.has_usable_password()
    # The applicant reads the decision; decisions are history.
    page = client_for(network.dealer_user).get(application.get_absolute_url()).content.decode()
    assert "Fills the west side" in page and "HZ01S01" in page
    with pytest.raises(Exception, match="admission_decisions_are_history"), transaction.atomic():
        AdmissionDecision.objects.filter(pk=decision.pk).update(reason="changed")


@pytest.mark.django_db
def test_a_rejection_keeps_its_reason_who_and_when_and_creates_nothing(network):
    application = submitted(network)
    decision = application_decide(
        user=network.head_office, application=application, outcome="rejected", reason="Too close to the parent"
    )
    application.refresh_from_db()
    assert (application.status, application.dealer, decision.account) == ("rejected", None, None)
    assert (decision.decided_by, decision.reason) == (network.head_office, "Too close to the parent")
    assert Dealer.objects.count() == 2


@pytest.mark.django_db
def test_a_decision_needs_a_reason_and_is_taken_once(network, client_for):
    application = submitted(network)
    client = client_for(network.regional_manager)
    response = client.post(application.get_absolute_url(), {"action": "decide", "outcome": "approved", "reason": " "})
    assert response.status_code == 400
    assert response.context["decision_form"].errors["reason"]
    assert not AdmissionDecision.objects.exists() and not Dealer.objects.filter(kind=DealerKind.SECONDARY).exists()
    application_decide(user=network.head_office, application=application, outcome="rejected", reason="No")
    response = client.post(application.get_absolute_url(), {"action": "decide", "outcome": "approved", "reason": "Y"})
    assert response.status_code == 400
    assert "This application is Rejected: only one awaiting review is decided." in response.content.decode()
    assert AdmissionDecision.objects.count() == 1


@pytest.mark.django_db
def test_who_reviews(network, client_for):
    """The region's managers and head office; not the parent store's staff, not a manager of
    another region (not found), and not whoever filed the application."""
    application = submitted(network)
    decide = {"action": "decide", "outcome": "approved", "reason": "ok"}
    dealer_page = client_for(network.dealer_user).get(application.get_absolute_url()).content.decode()
    assert 'name="outcome"' not in dealer_page
    assert client_for(network.dealer_user).post(application.get_absolute_url(), decide).status_code == 403
    other_manager = UserFactory(role=Role.REGIONAL_MANAGER, regions=[network.foreign_region])
    assert client_for(other_manager).post(application.get_absolute_url(), decide).status_code == 404
    assert client_for(network.finance_user).post(application.get_absolute_url(), decide).status_code == 403
    own = submitted(network, applied_by=network.regional_manager)
    with pytest.raises(ValidationError, match="You filed this application"):
        application_decide(user=network.regional_manager, application=own, outcome="approved", reason="mine")
    assert not AdmissionDecision.objects.exists()


@pytest.mark.django_db
def test_an_approval_under_a_parent_that_exited_is_refused(network):
    application = submitted(network)
    Dealer.objects.filter(pk=network.home_dealer.pk).update(status=DealerStatus.EXITED)
    with pytest.raises(ValidationError) as refused:
        application_decide(user=network.head_office, application=application, outcome="approved", reason="ok")
    assert "admitted under an active store" in refused.value.message_dict["outcome"][0]


@pytest.mark.django_db
def test_the_new_dealers_codes_and_user_names_do_not_collide(network):
    UserFactory(username="hz01s01")
    first, second = submitted(network), submitted(network)
    for application in (first, second):
        application_decide(user=network.head_office, application=application, outcome="approved", reason="ok")
    codes = sorted(Dealer.objects.filter(kind=DealerKind.SECONDARY).values_list("code", flat=True))
    assert codes == ["HZ01S01", "HZ01S02"]
    assert sorted(AdmissionDecision.objects.values_list("account__username", flat=True)) == ["hz01s01-2", "hz01s02"]


@pytest.mark.django_db
def test_the_reviewer_hands_over_the_account_by_a_link_that_sets_its_password_once(network, client_for, client):
    application = submitted(network)
    application_decide(user=network.regional_manager, application=application, outcome="approved", reason="ok")
    manager = client_for(network.regional_manager)
    shown = manager.post(application.get_absolute_url(), {"action": "invite"})
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    link = shown.context["link"]
    assert link.startswith("http://testserver/account/invite/")
    manager.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "hz01s01" in form.content.decode()
    password = "Xixi-outlet-2026!"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert authenticate(username="hz01s01", password=password) is not None
    # Spent: the link no longer opens the form, and no new one is given for a set password.
    assert "no longer works" in client.get(link, follow=True).content.decode()
    with pytest.raises(ValidationError, match="has set its password already"):
        account_invite(user=network.regional_manager, application=application)


@pytest.mark.django_db
def test_the_applicant_gets_no_invite_link(network, client_for):
    application = submitted(network)
    application_decide(user=network.head_office, application=application, outcome="approved", reason="ok")
    assert client_for(network.dealer_user).post(application.get_absolute_url(), {"action": "invite"}).status_code == 403


# --- the market on the review page ------------------------------------------------------


@pytest.mark.django_db
def test_without_a_plan_run_the_review_page_says_the_overlap_is_not_known(network, client_for):
    application = submitted(network)
    page = client_for(network.regional_manager).get(application.get_absolute_url()).content.decode()
    assert "No network plan has been computed yet" in page
    assert "Our nearest outlets" in page


@pytest.mark.django_db
def test_the_review_shows_the_citys_capacity_and_the_demand_the_outlet_would_take(planned_map):  # noqa: F811
    network = planned_map
    network_plan(as_of=TODAY)
    application = submitted(network)
    context = market_context(network.head_office, application)
    # The fixture's second outlet stands in Hangzhou but is of Chengdu by its data.
    assert (context.market.city, context.figures.capacity.units, context.city_outlets) == ("Hangzhou", 4_600, 1)
    overlap = context.overlap
    # 3 km from the centre, with 4 of the outlets' 10 staff each: it takes from both outlets.
    assert {row.dealer for row in overlap.taken} == {network.home_dealer, network.foreign_dealer}
    assert 0 < overlap.demand < 4_600
    assert sum(row.units for row in overlap.taken) + overlap.from_uncovered == pytest.approx(overlap.demand, rel=1e-6)
    assert sum(row.share for row in overlap.taken) + overlap.uncovered_share == pytest.approx(1.0)
    (parent,) = [row for row in overlap.taken if row.is_parent]
    assert parent.dealer == network.home_dealer


@pytest.mark.django_db
def test_a_manager_sees_other_regions_outlets_summed_and_a_dealer_user_sees_no_market(planned_map, client_for):  # noqa: F811
    network = planned_map
    network_plan(as_of=TODAY)
    application = submitted(network)
    context = market_context(network.regional_manager, application)
    labels = [row.label for row in context.overlap.taken]
    assert labels == [network.home_dealer.name, "1 outlets outside your regions"]
    page = client_for(network.regional_manager).get(application.get_absolute_url()).content.decode()
    assert network.foreign_dealer.name not in page and "outside your regions" in page
    assert market_context(network.dealer_user, application) is None
    page = client_for(network.dealer_user).get(application.get_absolute_url()).content.decode()
    assert 'id="market"' not in page


@pytest.mark.django_db
def test_the_parent_picker_offers_the_active_stores_one_may_file_under(network, client_for):
    DealerFactory(code="HZ02", name="Hangzhou Binjiang 4S", region=network.home_region)
    DealerFactory(code="HZ03", name="Hangzhou Exited 4S", region=network.home_region, status=DealerStatus.EXITED)
    DealerFactory(
        code="HZ01S09",
        name="Hangzhou Secondary",
        kind=DealerKind.SECONDARY,
        parent=network.home_dealer,
        region=network.home_region,
    )
    url = reverse("channels:admission-parent-options")
    offered = [row["label"] for row in client_for(network.regional_manager).get(url).json()["results"]]
    assert offered == ["HZ01 Hangzhou Xihu 4S", "HZ02 Hangzhou Binjiang 4S"]
    assert client_for(network.finance_user).get(url).json()["results"] == []


@pytest.mark.django_db
def test_a_decided_application_shows_its_decision_not_the_market_of_today(network):
    application = submitted(network)
    application_decide(user=network.head_office, application=application, outcome="rejected", reason="No")
    application.refresh_from_db()
    assert market_context(network.head_office, application) is None


@pytest.mark.django_db
def test_the_services_refuse_an_application_outside_the_users_scope_whoever_calls_them(network):
    application = submitted(network)
    other_manager = UserFactory(role=Role.REGIONAL_MANAGER, regions=[network.foreign_region])
    with pytest.raises(PermissionDenied):
        application_decide(user=other_manager, application=application, outcome="approved", reason="ok")
    draft = DealerApplicationFactory(parent=network.home_dealer)
    other_store = UserFactory(role=Role.DEALER_USER, dealer=network.foreign_dealer)
    with pytest.raises(PermissionDenied):
        document_add(user=other_store, application=draft, kind="bank_letter", content=PDF_BYTES, file_name="x.pdf")
    with pytest.raises(PermissionDenied):
        application_submit(user=network.finance_user, application=draft)
    assert not AdmissionDecision.objects.exists() and not draft.documents.exists()
