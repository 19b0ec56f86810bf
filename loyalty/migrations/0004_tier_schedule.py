from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="recalculate_tiers", defaults={"func": "loyalty.jobs.recalculate_tiers_job", "schedule_type": "D", "repeats": -1}
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="recalculate_tiers").delete()


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0003_tiers")]
    operations = [migrations.RunPython(create, remove)]
