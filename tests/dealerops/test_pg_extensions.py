"""The database has the extensions that trigram search and range exclusion constraints need."""

import pytest
from django.db import connection

from channels.models import Dealer
from tests.factories import DealerFactory


@pytest.mark.django_db
def test_pg_trgm_and_btree_gist_are_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname IN ('pg_trgm', 'btree_gist') ORDER BY extname")
        assert [name for (name,) in cursor.fetchall()] == ["btree_gist", "pg_trgm"]


@pytest.mark.django_db
def test_a_trigram_lookup_finds_a_misspelt_dealer_name():
    hangzhou = DealerFactory(name="Hangzhou Xihu 4S")
    DealerFactory(name="Chengdu Jinjiang 4S")

    assert list(Dealer.objects.filter(name__trigram_similar="Hangzhou Xihoo 4S")) == [hangzhou]
