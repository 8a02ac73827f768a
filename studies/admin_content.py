"""The admin's pages of a study's rows: briefs and samples (with media upload and preview).
Registered by importing this module from `studies.admin`."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from studies import services
from studies.admin_shared import RefusalsShownMixin, media_limit, visible_studies
from studies.media import MediaError, clean_media
from studies.models import Brief, Group, Sample, Study
from studies.text_render import render_markdown


class StudyOwnedAdmin(admin.ModelAdmin):
    """Rows that belong to a study: visible and changeable through the study's owner."""

    class Media:
        css = {"all": ["studies/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).filter(study__in=visible_studies(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "study":
            kwargs["queryset"] = visible_studies(request).filter(status=Study.Status.DRAFT)
        elif db_field.name in {"group", "brief"}:
            model = Group if db_field.name == "group" else Brief
            kwargs["queryset"] = model.objects.filter(
                study__in=visible_studies(request), study__status=Study.Status.DRAFT
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
        fields = [
            "study",
            "group",
            "brief",
            "kind",
            "text",
            "external_id",
            "is_attention_check",
            "expected_min",
            "expected_max",
            "metadata",
        ]

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
                self.clean_media = clean_media(upload.read(), max_bytes=media_limit())
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
        keys = Group.objects.filter(study__in=visible_studies(request)).values_list(
            "key", flat=True
        )
        return [(key, key) for key in sorted(set(keys))]

    def queryset(self, request, queryset):
        return queryset.filter(group__key=self.value()) if self.value() else queryset


@admin.register(Sample)
class SampleAdmin(RefusalsShownMixin, StudyOwnedAdmin):
    form = SampleForm
    list_display = [
        "__str__",
        "study",
        "group",
        "brief",
        "kind",
        "is_attention_check",
        "warning_count",
        "short_preview",
    ]
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
        fields = [
            "study",
            "group",
            "brief",
            "kind",
            "text",
            "upload",
            "external_id",
            "is_attention_check",
            "expected_min",
            "expected_max",
            "metadata",
        ]
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
