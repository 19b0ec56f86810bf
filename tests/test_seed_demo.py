"""seed_demo: history with tier changes, and nothing queued for the worker to email."""
import pytest
from django.core.management import call_command
from django_q.conf import Conf
from django_q.models import OrmQ

from loyalty.models import CustomerMessage, TierChange


@pytest.mark.django_db
def test_seed_demo_records_tier_changes_but_queues_no_mail(monkeypatch, django_capture_on_commit_callbacks, capsys):
    # The real broker (the database), as `make run` has it: whatever is queued waits in OrmQ.
    monkeypatch.setattr(Conf, "SYNC", False)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", "--customers", "80")
    assert TierChange.objects.filter(reason="upgrade").exists()
    assert CustomerMessage.objects.filter(customer__consent_email=True).exclude(customer__email="").exists()
    assert OrmQ.objects.count() == 0
    assert not CustomerMessage.objects.filter(emailed_at__isnull=True).exists()
