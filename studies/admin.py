"""The researcher's admin: studies with their groups and claims, import, open and close,
the plan, the pre-registration, and the sections other apps add (progress). Briefs and
samples have their pages in `studies.admin_content`.

Researchers see and change only their own studies; superusers see all. Every write goes
through `studies.services`, so a frozen design is refused here exactly as elsewhere.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from studies import design, services
from studies.admin_sections import study_page_sections
from studies.admin_shared import RefusalsShownMixin, error_text, media_limit, visible_studies
from studies.import_media import MediaZip
from studies.importing import ImportFailed, samples_import
from studies.models import Claim, Group, Study


class FrozenInlineMixin:
    """Inline rows of a study are read-only once its design is frozen."""

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.status != Study.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class GroupInline(FrozenInlineMixin, admin.TabularInline):
    model = Group
    extra = 0
    fields = ["key", "label"]


class ClaimInline(FrozenInlineMixin, admin.TabularInline):
    model = Claim
    extra = 0
    fields = ["kind", "group", "other_group", "value", "source"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in {"group", "other_group"}:
            study_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Group.objects.filter(study_id=study_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ImportForm(forms.Form):
    samples = forms.FileField(
        label="Samples file", help_text="CSV or JSONL, one sample per line; see the README."
    )
    media = forms.FileField(
        label="Media ZIP", required=False, help_text="Images or audio named in the file column."
    )


@admin.register(Study)
class StudyAdmin(RefusalsShownMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["studies/admin.css"]}

    list_display = ["slug", "title", "status", "owner", "sample_count", "opened_at"]
    list_filter = ["status"]
    search_fields = ["slug", "title"]
    inlines = [GroupInline, ClaimInline]
    actions = ["open_studies", "close_studies"]
    change_form_template = "admin/studies/study/change_form.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["slug", "title", "status", "instructions", "consent_text"]}),
        ("Protocol", {"fields": ["protocol", "allow_ties", "ask_strength",
                                 "allow_same_group_pairs"]}),
        ("Scale and criteria", {"fields": ["scale_min", "scale_max", "scale_step",
                                           "scale_anchors", "criteria"]}),
        ("How the study runs", {"fields": ["ratings_per_sample", "samples_per_rater",
                                           "lease_minutes", "attention_check_rate",
                                           "attention_fail_limit", "ask_source_guess",
                                           "guess_labels", "rater_language"]}),
        ("Analysis plan", {"fields": ["alpha", "equivalence_margin"]}),
        ("Completion", {"fields": ["completion_code", "screenout_code", "partial_code",
                                   "redirect_url", "min_items_for_code", "min_median_seconds",
                                   "screen_out_speeders"]}),
        ("Limits against study-filling", {"fields": ["starts_per_address_hour",
                                                     "leases_per_address",
                                                     "first_lease_minutes"]}),
        ("Pre-registration", {"fields": ["preregistration"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        return visible_studies(request)

    def get_readonly_fields(self, request, obj=None):
        readonly = ["status", "preregistration"]
        if obj is not None and obj.status != Study.Status.DRAFT:
            readonly += list(design.FROZEN_STUDY_FIELDS)
        return readonly

    def has_delete_permission(self, request, obj=None):
        # Ratings are never lost: only a draft study (which has none) can be deleted.
        if obj is not None and obj.status != Study.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="samples")
    def sample_count(self, obj: Study) -> int:
        return obj.samples.count()

    @admin.display(description="Frozen design")
    def preregistration(self, obj: Study):
        if not obj or not obj.frozen_sha256:
            return "Written when the study opens: groups, claims, scale, settings and hashes."
        document = json.dumps(obj.frozen_design, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html(
            "<p>SHA-256 <code>{}</code>, opened {}</p>"
            '<details><summary>Canonical design ({} samples)</summary><pre class="frozen-design">'
            "{}</pre></details>",
            obj.frozen_sha256,
            obj.opened_at,
            len(obj.frozen_design.get("samples", [])),
            document,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
            obj.full_clean()
        problems = design.settings_problems(obj)
        if problems:
            raise ValidationError(problems)
        if change:
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            stored = Study.objects.get(pk=obj.pk)
            services.study_update(study=stored, **changed)
        else:
            obj.save()

    def save_formset(self, request, form, formset, change):
        study = form.instance
        if formset.has_changed():
            services.study_assert_editable(study=study, what="its groups and claims")
        super().save_formset(request, form, formset, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        study = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if study is not None:
            context["sections"] = study_page_sections(request, study)
            context["study"] = study
            if study.status != Study.Status.DRAFT and request.method == "GET":
                self.message_user(
                    request,
                    services.FROZEN_MESSAGE.format(
                        slug=study.slug, status=study.status, what="its design"
                    ),
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        own = [
            path(
                "<int:pk>/import/",
                self.admin_site.admin_view(self.import_view),
                name="studies_study_import",
            ),
            path(
                "<int:pk>/open/",
                self.admin_site.admin_view(self.open_view),
                name="studies_study_open",
            ),
            path(
                "<int:pk>/close/",
                self.admin_site.admin_view(self.close_view),
                name="studies_study_close",
            ),
        ]
        return own + super().get_urls()

    def _study_for_change(self, request, pk: int) -> Study:
        study = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, study):
            raise PermissionDenied
        return study

    def _back(self, study: Study) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:studies_study_change", args=[study.pk]))

    def import_view(self, request, pk: int):
        study = self._study_for_change(request, pk)
        form = ImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["samples"]
            media = None
            try:
                if form.cleaned_data["media"]:
                    zipped = form.cleaned_data["media"]
                    media = MediaZip(zipped, label=zipped.name, max_bytes=media_limit())
                report = samples_import(
                    study=study, file_name=upload.name, data=upload.read(), media=media
                )
            except ImportFailed as failure:
                errors = failure.errors + (
                    ["... and more (stopped at the cap)"] if failure.more else []
                )
            except services.StudyConflict as error:
                errors = [str(error)]
            else:
                self.message_user(request, report.summary(), messages.SUCCESS)
                for warning in report.warnings[:50]:
                    self.message_user(request, f"Check blinding: {warning}", messages.WARNING)
                return self._back(study)
            finally:
                if media is not None:
                    media.close()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "study": study,
            "form": form,
            "errors": errors,
            "title": f"Import samples into {study.slug}",
        }
        return TemplateResponse(request, "admin/studies/study/import.html", context)

    def _transition(self, request, pk: int, service, done: str):
        study = self._study_for_change(request, pk)
        if request.method != "POST":
            return self._back(study)
        try:
            service(study=study)
        except services.StudyConflict as error:
            self.message_user(request, str(error), messages.ERROR)
        except ValidationError as error:
            self.message_user(request, f"Cannot open: {error_text(error)}", messages.ERROR)
        else:
            self.message_user(request, done.format(slug=study.slug), messages.SUCCESS)
        return self._back(study)

    def open_view(self, request, pk: int):
        return self._transition(
            request, pk, services.study_open, "Opened {slug}; its design is frozen."
        )

    def close_view(self, request, pk: int):
        return self._transition(request, pk, services.study_close, "Closed {slug}.")

    def _bulk(self, request, queryset, service, verb: str):
        for study in queryset:
            if not self.has_change_permission(request, study):
                continue
            try:
                service(study=study)
            except (services.StudyConflict, ValidationError) as error:
                text = error_text(error) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{study.slug}: {text}", messages.ERROR)
            else:
                self.message_user(request, f"{verb} {study.slug}.", messages.SUCCESS)

    @admin.action(description="Open selected studies (freezes their design)")
    def open_studies(self, request, queryset):
        self._bulk(request, queryset, services.study_open, "Opened")

    @admin.action(description="Close selected studies")
    def close_studies(self, request, queryset):
        self._bulk(request, queryset, services.study_close, "Closed")


# Briefs and samples: their pages register when this module is imported.
from studies import admin_content  # noqa: E402, F401
