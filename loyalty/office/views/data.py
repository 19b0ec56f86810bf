"""Settings for the owner: importing a customer base and the webhook endpoints with their delivery log."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError
from accounts.models import Role
from accounts.permissions import staff_required
from loyalty import selectors
from loyalty.office.data_forms import EVENT_LABELS, ImportForm, WebhookForm
from loyalty.services import imports, webhooks

owner_only = staff_required(Role.OWNER)


def _form_errors(form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, str(getattr(error, "message", error)))


def _import_or_404(request, import_id):
    try:
        return imports.import_get(merchant=request.merchant, import_id=import_id)
    except ApplicationError:
        raise Http404


# ---------- Import ----------

@owner_only
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > imports.MAX_BYTES:
                raise ValidationError({"file": [_("The file is larger than 50 MB.")]})
            job = imports.import_create(merchant=request.merchant, name=upload.name, data=upload.read(),
                                        dry_run=form.cleaned_data["dry_run"], actor=request.user)
        except (ValidationError, ApplicationError) as error:
            _form_errors(form, error)
        else:
            return redirect("office:import_detail", import_id=job.pk)
    return render(request, "office/imports.html", {
        "form": form, "imports": selectors.customer_import_list(merchant=request.merchant), "columns": imports.COLUMNS, "section": "imports",
    }, status=400 if form.errors else 200)


@owner_only
@require_GET
def import_detail(request, import_id):
    job = _import_or_404(request, import_id)
    can_run = selectors.customer_import_can_run(merchant=request.merchant, job=job)
    return render(request, "office/import_detail.html", {"job": job, "can_run": can_run, "section": "imports"})


@owner_only
@require_GET
def import_progress(request, import_id):
    """The progress fragment the detail page polls (htmx) while the job runs."""
    job = _import_or_404(request, import_id)
    can_run = selectors.customer_import_can_run(merchant=request.merchant, job=job)
    return render(request, "office/partials/_import_progress.html", {"job": job, "can_run": can_run})


@owner_only
@require_POST
def import_confirm(request, import_id):
    """Run for real the file a finished dry run checked."""
    job = _import_or_404(request, import_id)
    try:
        real = imports.import_from_dry_run(job=job, actor=request.user)
    except (ValidationError, ApplicationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("office:import_detail", import_id=job.pk)
    return redirect("office:import_detail", import_id=real.pk)


# ---------- Webhooks ----------

@owner_only
def webhook_list(request):
    merchant = request.merchant
    form = WebhookForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhooks.webhook_endpoint_create(merchant=merchant, url=form.cleaned_data["url"], events=form.cleaned_data["events"],
                                                       actor=request.user)
        except (ValidationError, ApplicationError) as error:
            _form_errors(form, error)
        else:
            form = WebhookForm()
    response = render(request, "office/webhooks.html", {
        "form": form, "created": created, "endpoints": selectors.webhook_endpoint_list(merchant=merchant),
        "deliveries": selectors.webhook_delivery_list(merchant=merchant), "event_labels": EVENT_LABELS, "section": "webhooks",
    }, status=400 if form.errors else 200)
    if created:
        # The secret is on this page only; keep it out of caches and the back button.
        response["Cache-Control"] = "no-store"
    return response


def _endpoint_or_404(request, endpoint_id):
    endpoint = selectors.webhook_endpoint_get(merchant=request.merchant, endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404
    return endpoint


@owner_only
@require_POST
def webhook_delete(request, endpoint_id):
    endpoint = _endpoint_or_404(request, endpoint_id)
    webhooks.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Endpoint %(url)s deleted: it hears of nothing from now on.") % {"url": endpoint.url})
    return redirect("office:webhooks")


@owner_only
@require_POST
def webhook_test(request, endpoint_id):
    endpoint = _endpoint_or_404(request, endpoint_id)
    delivery = webhooks.webhook_test_send(endpoint=endpoint)
    if delivery.status == delivery.Status.DELIVERED:
        messages.success(request, _("Test event delivered: %(url)s answered %(code)s.") % {"url": endpoint.url, "code": delivery.last_status_code})
    elif delivery.last_status_code:
        messages.error(request, _("%(url)s answered %(code)s; the test event will be retried.") % {"url": endpoint.url, "code": delivery.last_status_code})
    else:
        messages.error(request, _("%(url)s could not be reached (%(error)s); the test event will be retried.")
                       % {"url": endpoint.url, "error": delivery.last_error or _("no answer")})
    return redirect("office:webhooks")
