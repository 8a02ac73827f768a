"""The researcher's admin: studies with their groups and claims, briefs, samples, import,
open and close, progress, and the pre-registration.

Researchers see and change only their own studies; superusers see all. Every write goes
through `studies.services`, so a frozen design is refused here exactly as elsewhere.
"""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from studies import design, selectors, services
from studies.importing import ImportFailed, MediaZip, samples_import
from studies.media import MediaError, clean_media
from studies.media_files import MEDIA_UNWRITABLE, MediaUnwritable
from studies.models import Brief, Claim, Group, Sample, Study
from studies.text_render import render_markdown


def _visible_studies(request: HttpRequest):
    return selectors.study_list_visible(user=request.user)


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(msgs)}" if field != "__all__" else " ".join(msgs)
            for field, msgs in error.message_dict.items()
        )
    return " ".join(error.messages)


class RefusalsShownMixin:
    """A service's refusal while saving (a frozen design, a bad value, a full media volume)
    comes back as a message on the form's page, not as an error page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (services.StudyConflict, ValidationError, MediaUnwritable) as error:
            if isinstance(error, MediaUnwritable):
                text = MEDIA_UNWRITABLE.format(cause=error.cause)
            elif isinstance(error, ValidationError):
                text = _error_text(error)
            else:
                text = str(error)
            self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(request.path)


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
        return _visible_studies(request)

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
            context["progress"] = selectors.study_progress(study=study)
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
            path("<int:pk>/import/", self.admin_site.admin_view(self.import_view),
                 name="studies_study_import"),
            path("<int:pk>/open/", self.admin_site.admin_view(self.open_view),
                 name="studies_study_open"),
            path("<int:pk>/close/", self.admin_site.admin_view(self.close_view),
                 name="studies_study_close"),
        ]  # fmt: skip
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
                    media = MediaZip(zipped, label=zipped.name, max_bytes=_media_limit())
                report = samples_import(
                    study=study, file_name=upload.name, data=upload.read(), media=media
                )
            except ImportFailed as failure:
                errors = failure.errors + (["... and more (stopped at the cap)"] if failure.more
                                           else [])  # fmt: skip
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
            self.message_user(request, f"Cannot open: {_error_text(error)}", messages.ERROR)
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
                text = _error_text(error) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{study.slug}: {text}", messages.ERROR)
            else:
                self.message_user(request, f"{verb} {study.slug}.", messages.SUCCESS)

    @admin.action(description="Open selected studies (freezes their design)")
    def open_studies(self, request, queryset):
        self._bulk(request, queryset, services.study_open, "Opened")

    @admin.action(description="Close selected studies")
    def close_studies(self, request, queryset):
        self._bulk(request, queryset, services.study_close, "Closed")


def _media_limit() -> int:
    return settings.BLINDRATE_MEDIA_MAX_BYTES


class StudyOwnedAdmin(admin.ModelAdmin):
    """Rows that belong to a study: visible and changeable through the study's owner."""

    class Media:
        css = {"all": ["studies/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).filter(study__in=_visible_studies(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "study":
            kwargs["queryset"] = _visible_studies(request).filter(status=Study.Status.DRAFT)
        elif db_field.name in {"group", "brief"}:
            model = Group if db_field.name == "group" else Brief
            kwargs["queryset"] = model.objects.filter(
                study__in=_visible_studies(request), study__status=Study.Status.DRAFT
            ).select_related("study")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.study.status != Study.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.study.status != Study.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.study.status != Study.Status.DRAFT and request.method == "GET":
            self.message_user(
                request,
                services.FROZEN_MESSAGE.format(
                    slug=obj.study.slug, status=obj.study.status, what="this row"
                ),
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj):
        services.study_assert_editable(study=obj.study, what="its design")
        super().delete_model(request, obj)


@admin.register(Brief)
class BriefAdmin(StudyOwnedAdmin):
    list_display = ["key", "title", "study", "show_to_raters"]
    list_filter = [("study", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["key", "title", "text"]

    def save_model(self, request, obj, form, change):
        services.study_assert_editable(study=obj.study, what="its briefs")
        super().save_model(request, obj, form, change)


class SampleForm(forms.ModelForm):
    upload = forms.FileField(
        required=False, label="Media file", help_text="An image or audio file (replaces any)."
    )

    class Meta:
        model = Sample
        fields = ["study", "group", "brief", "kind", "text", "external_id",
                  "is_attention_check", "expected_min", "expected_max", "metadata"]  # fmt: skip

    def clean(self):
        data = super().clean()
        study, group, brief = data.get("study"), data.get("group"), data.get("brief")
        if study and group and group.study_id != study.id:
            self.add_error("group", f"choose a group of {study.slug}")
        if study and brief and brief.study_id != study.id:
            self.add_error("brief", f"choose a brief of {study.slug}")
        upload = data.get("upload")
        self.clean_media = None
        if upload:
            try:
                self.clean_media = clean_media(upload.read(), max_bytes=_media_limit())
            except MediaError as error:
                self.add_error("upload", str(error))
                return data
            data["kind"] = self.clean_media.kind
            self.instance.kind = self.clean_media.kind
            self.instance.text = ""
        elif data.get("kind") in {Sample.Kind.IMAGE, Sample.Kind.AUDIO} and not (
            self.instance.media
        ):
            self.add_error("upload", "an image or audio sample needs its file")
        elif data.get("kind") == Sample.Kind.TEXT and not (data.get("text") or "").strip():
            self.add_error("text", "a text sample needs its text")
        return data


class GroupKeyFilter(admin.SimpleListFilter):
    title = "group"
    parameter_name = "group"

    def lookups(self, request, model_admin):
        keys = Group.objects.filter(study__in=_visible_studies(request)).values_list(
            "key", flat=True
        )
        return [(key, key) for key in sorted(set(keys))]

    def queryset(self, request, queryset):
        return queryset.filter(group__key=self.value()) if self.value() else queryset


@admin.register(Sample)
class SampleAdmin(RefusalsShownMixin, StudyOwnedAdmin):
    form = SampleForm
    list_display = ["__str__", "study", "group", "brief", "kind", "is_attention_check",
                    "warning_count", "short_preview"]  # fmt: skip
    list_filter = [
        ("study", admin.RelatedOnlyFieldListFilter),
        GroupKeyFilter,
        ("brief", admin.RelatedOnlyFieldListFilter),
        "kind",
        "is_attention_check",
    ]
    list_select_related = ["study", "group", "brief"]
    search_fields = ["external_id", "text", "token"]
    readonly_fields = ["token", "content_sha256", "media_type", "preview", "warnings"]

    def get_fields(self, request, obj=None):
        fields = ["study", "group", "brief", "kind", "text", "upload", "external_id",
                  "is_attention_check", "expected_min", "expected_max", "metadata"]  # fmt: skip
        if obj is not None:
            fields = ["preview", "warnings", *fields, "token", "content_sha256", "media_type"]
        return fields

    @admin.display(description="source warnings")
    def warning_count(self, obj: Sample):
        return len(obj.source_warnings) or ""

    @admin.display(description="warnings")
    def warnings(self, obj: Sample):
        if not obj.source_warnings:
            return "none"
        return format_html_join("", "<li>{}</li>", ((w,) for w in obj.source_warnings))

    @admin.display(description="content")
    def short_preview(self, obj: Sample):
        if obj.kind == Sample.Kind.TEXT:
            return format_html(
                '<span class="sample-line">{}</span>',
                " ".join(obj.text.split())[:200],
            )
        return self.preview(obj, thumbnail=True)

    @admin.display(description="preview")
    def preview(self, obj: Sample, thumbnail: bool = False):
        if obj.kind == Sample.Kind.TEXT:
            return format_html('<div class="sample-text">{}</div>', render_markdown(obj.text))
        url = reverse("studies:sample_media", args=[obj.token])
        if obj.kind == Sample.Kind.IMAGE:
            size = "sample-thumbnail" if thumbnail else "sample-image"
            return format_html('<img src="{}" alt="sample image" class="{}">', url, size)
        return format_html('<audio controls preload="none" src="{}"></audio>', url)

    def delete_model(self, request, obj):
        services.sample_delete(sample=obj)  # the media file goes with the row

    def delete_queryset(self, request, queryset):
        for sample in queryset.select_related("study"):
            services.sample_delete(sample=sample)

    def save_model(self, request, obj, form, change):
        media = form.clean_media
        services.sample_save(
            sample=obj,
            media_data=media.data if media else None,
            media_extension=media.extension if media else "",
            media_type=media.mime if media else "",
        )
