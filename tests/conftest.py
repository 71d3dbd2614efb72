"""Fixtures shared by every suite: a two-region network and one user per role.

``network.home_*`` is what the dealer user and regional manager may see;
``network.foreign_*`` is a dealer in another region that they must never see.
"""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.utils import translation

from channels.models import Dealer, Region
from dealerops.models import Role, User
from tests.factories import DealerFactory, RegionFactory, UserFactory

PASSWORD = "pass-word-123"


@dataclass
class Network:
    home_region: Region
    foreign_region: Region
    home_dealer: Dealer
    foreign_dealer: Dealer
    dealer_user: User
    regional_manager: User
    finance_user: User
    head_office: User

    def users(self) -> dict[str, User]:
        return {
            Role.DEALER_USER: self.dealer_user,
            Role.REGIONAL_MANAGER: self.regional_manager,
            Role.FINANCE: self.finance_user,
            Role.HEAD_OFFICE: self.head_office,
        }


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache (the health pages cache their figures)."""
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """A test that activates a language (a request, a job thread) leaves it to the next test in
    this thread otherwise: every test starts in the settings' language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads (documents, photos) land in the test's own folder, never in the project's ``.data``."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def network(db) -> Network:
    home_region = RegionFactory(code="EAST", name="East")
    foreign_region = RegionFactory(code="WEST", name="West")
    home_dealer = DealerFactory(code="HZ01", name="Hangzhou Xihu 4S", region=home_region)
    foreign_dealer = DealerFactory(
        code="CD01", name="Chengdu Jinjiang 4S", region=foreign_region, city="Chengdu", province="Sichuan"
    )
    return Network(
        home_region=home_region,
        foreign_region=foreign_region,
        home_dealer=home_dealer,
        foreign_dealer=foreign_dealer,
        dealer_user=UserFactory(username="dealer", role=Role.DEALER_USER, dealer=home_dealer),
        regional_manager=UserFactory(username="manager", role=Role.REGIONAL_MANAGER, regions=[home_region]),
        finance_user=UserFactory(username="finance", role=Role.FINANCE),
        head_office=UserFactory(username="headoffice", role=Role.HEAD_OFFICE),
    )


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client logged in as ``user``."""

    def login(user: User):
        client.force_login(user)
        return client

    return login
