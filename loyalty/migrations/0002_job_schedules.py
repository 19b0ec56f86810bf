"""The django-q2 schedules of the ledger jobs, so a worker started on a fresh database runs them."""
from django.db import migrations

SCHEDULES = [
    ("activate_points", "loyalty.jobs.activate_points_job", "I", 15),
    ("expire_points", "loyalty.jobs.expire_points_job", "H", None),
    ("purge_idempotency_keys", "loyalty.jobs.purge_idempotency_job", "D", None),
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1}
        )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(create, remove)]
