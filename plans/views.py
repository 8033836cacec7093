"""Plan pages: draft from an assessment, edit, sign, read versions; the clinic's library."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessments import selectors as assessment_selectors
from clinic import access, audit, permissions
from plans import handouts, library, library_words, rule_preview, rules, selectors, services
from plans.forms import (
    AddItemForm,
    BaseRuleItemFormSet,
    ContraindicationForm,
    InterventionForm,
    ItemForm,
    PlanRuleForm,
    PlanSettingsForm,
    RuleItemFormSet,
)
from plans.models import (
    Contraindication,
    HandoutStatus,
    Intervention,
    PlanItem,
    PlanRule,
    PlanVersion,
    Prong,
    TreatmentPlan,
)
from plans.run_program_forms import ChooseProgramForm
from plans.signed import SignedPlan


def _messages_from(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def plan_draft(request: HttpRequest, assessment_pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, assessment_pk, change=True)
    try:
        plan = services.plan_draft(actor=request.user, assessment=assessment)
    except ValidationError as error:
        _messages_from(request, error)
        return redirect("assessment_detail", pk=assessment.pk)
    messages.success(request, "Plan drafted from the findings. Review, edit and sign it.")
    return redirect("plan_detail", pk=plan.pk)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.plan_for(request.user, pk)
    can_change = permissions.can_change_clinical(request.user, plan.episode.patient)
    # The form works on its own copy, so the service can see what changed.
    settings_form = PlanSettingsForm(
        request.POST or None, instance=TreatmentPlan.objects.get(pk=plan.pk), prefix="plan"
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if settings_form.is_valid():
            try:
                services.plan_update(
                    actor=request.user,
                    plan=plan,
                    visits_per_week=settings_form.cleaned_data["visits_per_week"],
                    weeks=settings_form.cleaned_data["weeks"],
                    goals=settings_form.cleaned_data["goals"],
                    running_advice=settings_form.cleaned_data["running_advice"],
                    missing_prong_reasons=settings_form.missing_prong_reasons(),
                )
            except ValidationError as error:
                settings_form.add_error(None, error)
            else:
                messages.success(request, "Plan details saved.")
                return redirect("plan_detail", pk=plan.pk)
    return _plan_page(request, plan, settings_form=settings_form, can_change=can_change)


def _plan_page(
    request: HttpRequest,
    plan: TreatmentPlan,
    *,
    settings_form: PlanSettingsForm,
    can_change: bool,
    add_form: AddItemForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The draft page; ``add_form`` is a refused add-item form, shown again with what was chosen and typed."""
    audit.record_read(actor=request.user, action=audit.Read.PLAN_VIEWED, obj=plan)
    items = list(plan.items.select_related("intervention", "override_by").order_by("prong", "order", "id"))
    prongs = [
        (
            prong,
            library.PRONG_LABELS[prong.value],
            [(item, ItemForm(instance=item, prefix=f"item{item.pk}")) for item in items if item.prong == prong],
        )
        for prong in Prong
    ]
    clinic = plan.episode.patient.clinic
    lib = selectors.library_for(clinic)
    screen = selectors.screen(plan, lib)
    in_plan = {item.intervention.key for item in items if item.intervention}
    proposed = {entry["intervention"] for entry in plan.excluded}
    if add_form is None:
        add_form = AddItemForm(clinic=clinic)
    add_form.set_marks(rules.add_item_marks(screen.contraindicated, rules.clinicians_choice_only(lib)))
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "episode": plan.episode,
            "patient": plan.episode.patient,
            "prongs": prongs,
            "screen": screen,
            "own_words_findings": assessment_selectors.own_words_findings(plan.assessment),
            "missing": [library.PRONG_LABELS[prong] for prong in services.missing_prongs(plan)],
            "settings_form": settings_form,
            "contraindicated": [
                (entry, entry.intervention in in_plan, entry.intervention in proposed)
                for entry in screen.contraindicated
            ],
            "add_form": add_form,
            "versions": plan.versions.select_related("signed_by"),
            "can_change": can_change,
            "run_program_form": ChooseProgramForm(
                initial={"program": plan.run_program_id}, programs=selectors.run_programs_for(clinic.pk)
            ),
        },
        status=status,
    )


@login_required
@require_POST
def item_update(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.plan_item_for(request.user, pk, change=True)
    form = ItemForm(request.POST, instance=PlanItem.objects.get(pk=item.pk), prefix=f"item{item.pk}")
    if form.is_valid():
        services.item_update(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, f"{item.name} updated.")
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{item.name}: {field}: {' '.join(errors)}")
    return redirect("plan_detail", pk=item.plan_id)


@login_required
@require_POST
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.plan_item_for(request.user, pk, change=True)
    services.item_remove(actor=request.user, item=item)
    messages.success(request, f"{item.name} removed.")
    return redirect("plan_detail", pk=item.plan_id)


@login_required
@require_POST
def item_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    item = access.plan_item_for(request.user, pk, change=True)
    services.item_move(actor=request.user, item=item, up=direction == "up")
    return redirect("plan_detail", pk=item.plan_id)


@login_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.plan_for(request.user, pk, change=True)
    form = AddItemForm(request.POST, clinic=plan.episode.patient.clinic)
    if form.is_valid():
        try:
            item = services.item_add(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{item.name} added.")
            return redirect("plan_detail", pk=plan.pk)
    # Shown again rather than redirected, so the choice and the reason typed are not lost.
    return _plan_page(
        request,
        plan,
        settings_form=PlanSettingsForm(instance=TreatmentPlan.objects.get(pk=plan.pk), prefix="plan"),
        can_change=True,
        add_form=form,
        status=400,
    )


@login_required
@require_POST
def plan_sign(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.plan_for(request.user, pk, change=True)
    try:
        version = services.plan_sign(actor=request.user, plan=plan)
    except ValidationError as error:
        _messages_from(request, error)
        return redirect("plan_detail", pk=plan.pk)
    messages.success(request, f"Version {version.number} signed.")
    return redirect("plan_version", pk=plan.pk, number=version.number)


@login_required
def plan_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    plan = access.plan_for(request.user, pk)
    version = get_object_or_404(PlanVersion.objects.select_related("signed_by"), plan=plan, number=number)
    audit.record_read(actor=request.user, action=audit.Read.PLAN_VERSION_VIEWED, obj=version)
    signed = SignedPlan.of(version)
    return render(
        request,
        "plans/plan_version.html",
        {
            "plan": plan,
            "version": version,
            "signed": signed,
            "patient": plan.episode.patient,
            "episode": plan.episode,
            "prongs": [(library.PRONG_LABELS[prong], items, reason) for prong, items, reason in signed.by_prong],
            "home_program": services.home_program(signed),
            "handout": getattr(version, "handout", None),
            "can_change": permissions.can_change_clinical(request.user, plan.episode.patient),
        },
    )


# --- The clinic's library (clinic admins) -------------------------------------------------------


LIBRARY_KINDS = {
    "interventions": (Intervention, InterventionForm, "Intervention"),
    "rules": (PlanRule, PlanRuleForm, "Plan rule"),
    "contraindications": (Contraindication, ContraindicationForm, "Contraindication"),
}


@login_required
def library_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_view_library(user):
        raise PermissionDenied
    if not permissions.scoped(user, Intervention).exists():
        services.library_seed(clinic=user.clinic)
    clinicians_choice = rules.clinicians_choice_only(selectors.library_for(user.clinic))
    return render(
        request,
        "plans/library.html",
        {
            "interventions": [
                (row, library_words.words(row.tags, library_words.TAG_LABELS), row.key in clinicians_choice)
                for row in permissions.scoped(user, Intervention).order_by("prong", "name")
            ],
            "rules": [
                (
                    row,
                    library_words.rule_conditions(
                        always=row.always,
                        when_findings=row.when_findings,
                        when_load_facts=row.when_load_facts,
                        when_intake=row.when_intake,
                    ),
                )
                for row in permissions.scoped(user, PlanRule).prefetch_related("items__intervention")
            ],
            "contraindications": [
                (
                    row,
                    library_words.contraindication_conditions(
                        when_findings=row.when_findings,
                        when_red_flag_tiers=row.when_red_flag_tiers,
                        when_red_flag_codes=row.when_red_flag_codes,
                    ),
                    library_words.contraindication_excludes(
                        blocks_plan=row.blocks_plan,
                        excludes_tags=row.excludes_tags,
                        excludes_prongs=row.excludes_prongs,
                    ),
                )
                for row in permissions.scoped(user, Contraindication)
            ],
            "can_edit": permissions.can_edit_library(user),
        },
    )


def _rule_as_planned(form: PlanRuleForm, items: BaseRuleItemFormSet) -> library.PlanRule:
    """The rule as the form holds it, unsaved, as the generator reads a rule."""
    cleaned = form.cleaned_data
    return library.PlanRule(
        key=form.instance.key or "preview",
        name=cleaned["name"],
        always=cleaned["always"],
        when_findings=frozenset(cleaned["when_findings"]),
        when_load_facts=frozenset(cleaned["when_load_facts"]),
        when_intake=frozenset(cleaned["when_intake"]),
        when_detail=cleaned["when_detail"],
        items=tuple(library.RuleItem(row["intervention"].key) for row in items.chosen()),
        visits_per_week=cleaned["visits_per_week"],
        weeks=cleaned["weeks"],
        running_advice=(),
        source="",
    )


def _library_page(request: HttpRequest, kind: str, row) -> HttpResponse:
    """The add and edit page of a library row; a rule's page also lists its interventions and previews
    which sample cases it fires on (the saved rule, or the form's as typed with "Preview")."""
    _, form_class, label = LIBRARY_KINDS[kind]
    clinic = request.user.clinic
    data = request.POST if request.method == "POST" else None
    form = form_class(data, request.FILES or None, instance=row, clinic=clinic)
    items = RuleItemFormSet(data, instance=row, clinic=clinic) if kind == "rules" else None
    preview = None
    if request.method == "POST":
        valid = [form.is_valid(), items is None or items.is_valid()]
        if all(valid) and "preview" in request.POST and items is not None:
            preview = rule_preview.preview(_rule_as_planned(form, items), selectors.library_for(clinic))
        elif all(valid):
            adding = row.pk is None
            try:
                services.library_save(actor=request.user, form=form, items=items)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                saved = "added" if adding else "saved"
                messages.success(request, f"{label} {saved}. Signed plans are not affected.")
                return redirect("library_index")
    elif items is not None and row.pk is not None:
        prefetch_related_objects([row], "items__intervention")
        preview = rule_preview.preview(selectors.as_rule(row), selectors.library_for(clinic))
    return render(
        request,
        "plans/library_edit.html",
        {
            "form": form,
            "items": items,
            "row": row,
            "label": label,
            "kind": kind,
            "preview": preview,
            "fires": [outcome for outcome in preview or [] if outcome.fires],
            "quiet": [outcome for outcome in preview or [] if not outcome.fires],
            "previewing": request.method == "POST",
        },
    )


@login_required
def library_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in LIBRARY_KINDS:
        raise PermissionDenied
    model, _, _ = LIBRARY_KINDS[kind]
    return _library_page(request, kind, access.library_row_for(request.user, model, pk))


@login_required
def library_add(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in LIBRARY_KINDS or not permissions.can_edit_library(request.user):
        raise PermissionDenied
    model, _, _ = LIBRARY_KINDS[kind]
    return _library_page(request, kind, model(clinic=request.user.clinic))


@login_required
def handout_download(request: HttpRequest, pk: int, number: int) -> FileResponse:
    plan = access.plan_for(request.user, pk)
    version = get_object_or_404(PlanVersion, plan=plan, number=number)
    handout = getattr(version, "handout", None)
    if handout is None or handout.status != HandoutStatus.READY or not handout.file:
        raise Http404
    audit.record_read(actor=request.user, action=audit.Read.HANDOUT_DOWNLOADED, obj=handout)
    return FileResponse(handout.file.open("rb"), as_attachment=True, filename=f"home-program-v{number}.pdf")


@login_required
@require_POST
def handout_send_again(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    plan = access.plan_for(request.user, pk, change=True)
    version = get_object_or_404(PlanVersion.objects.select_related("handout"), plan=plan, number=number)
    handout = getattr(version, "handout", None)
    if handout is not None:
        handouts.send_again(actor=request.user, handout=handout)
        messages.success(request, "The handout is being sent to the patient again.")
    return redirect("plan_version", pk=plan.pk, number=number)


@login_required
def handout_status(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The version page's handout fragment, polled while the PDF is made and sent. It shows
    when and how the handout reached the patient, so each poll is a read like the page."""
    plan = access.plan_for(request.user, pk)
    version = get_object_or_404(PlanVersion.objects.select_related("handout"), plan=plan, number=number)
    audit.record_read(actor=request.user, action=audit.Read.HANDOUT_STATUS_VIEWED, obj=version)
    return render(
        request,
        "plans/_handout_status.html",
        {
            "plan": plan,
            "version": version,
            "handout": getattr(version, "handout", None),
            "can_change": permissions.can_change_clinical(request.user, plan.episode.patient),
        },
    )


@login_required
@require_POST
def handout_retry(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    plan = access.plan_for(request.user, pk, change=True)
    version = get_object_or_404(PlanVersion, plan=plan, number=number)
    handout = getattr(version, "handout", None)
    if handout is not None and handout.status == HandoutStatus.FAILED:
        handouts.retry(actor=request.user, handout=handout)
        messages.success(request, "The handout is being made again.")
    return redirect("plan_version", pk=plan.pk, number=number)
