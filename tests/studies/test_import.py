"""Importing samples: CSV, JSONL and media, all or nothing, every error with line and field."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from studies.import_media import MediaZip
from studies.importing import ImportFailed, samples_import
from studies.models import Brief, Sample
from studies.text_render import render_markdown


def jpeg_with_exif(*, comment: bytes = b"shot by the AI team") -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Maker"  # Make
    exif[0x0131] = "image-model-v2 generator"  # Software
    exif[0x8825] = {2: (51.0, 30.0, 0.0), 1: "N"}  # GPS: latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=comment)
    return out.getvalue()


def png_bytes(colour=(0, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


def zipped(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def run_import(study, name: str, text: str | bytes, media=None):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return samples_import(study=study, file_name=name, data=data, media=media)


def failure(study, name: str, text: str | bytes, media=None) -> list[str]:
    before = Sample.objects.count(), Brief.objects.count()
    with pytest.raises(ImportFailed) as error:
        run_import(study, name, text, media)
    assert (Sample.objects.count(), Brief.objects.count()) == before, "something was stored"
    return error.value.errors


def test_a_csv_file_is_imported_with_briefs_ids_attention_checks_and_metadata(draft_study):
    csv_text = (
        "id,group,brief,text,attention,expected,meta_author,meta_model\n"
        'h1,human,lighthouse,"The keeper, at dusk.\nA second line.",,,Ann,\n'
        "a1,ai,lighthouse,The lamp turns.,no,,,m-1\n"
        "c1,collaboration,lighthouse,Light and salt.,,,Ann,m-1\n"
        "chk,human,lighthouse,Please give this a 2.,yes,1-3,,\n"
    )
    report = run_import(draft_study, "samples.csv", csv_text)
    assert report.created == 4
    assert report.by_group == {"human": 2, "ai": 1, "collaboration": 1}
    assert report.briefs_created == ["lighthouse"]
    h1 = Sample.objects.get(external_id="h1")
    assert h1.text == "The keeper, at dusk.\nA second line."
    assert h1.brief.key == "lighthouse" and h1.group.key == "human"
    assert h1.metadata == {"author": "Ann"}
    assert Sample.objects.get(external_id="a1").metadata == {"model": "m-1"}
    check = Sample.objects.get(external_id="chk")
    assert check.is_attention_check and (check.expected_min, check.expected_max) == (1, 3)
    assert len(h1.token) >= 20 and h1.token != Sample.objects.get(external_id="a1").token


def test_a_jsonl_file_is_imported(draft_study):
    lines = [
        {"group": "human", "text": "Rain on the bus stop.", "brief": "rain", "id": "r1"},
        {"group": "ai", "text": "Wet shoes, warm tea.", "attention": True, "expected": [2, 4]},
        {"group": "collaboration", "text": "Puddles *sing*.", "meta_prompt": {"words": 20}},
    ]
    report = run_import(draft_study, "samples.jsonl", "\n".join(json.dumps(x) for x in lines))
    assert report.created == 3
    assert Sample.objects.get(group__key="ai").expected_max == 4
    assert Sample.objects.get(group__key="collaboration").metadata == {"prompt": {"words": 20}}


def test_text_is_stored_as_written_and_shown_without_any_html(draft_study):
    text = 'Hello <script>alert("x")</script> <img src=x onerror=alert(1)> [a](javascript:x)'
    run_import(draft_study, "s.jsonl", json.dumps({"group": "ai", "text": text}))
    sample = Sample.objects.get()
    assert sample.text == text
    html = render_markdown(sample.text)
    for banned in ("<script", "onerror", "javascript:", "<img"):
        assert banned not in html


def test_media_from_a_zip_are_stored_under_random_names_without_exif(draft_study, media_root):
    photo = jpeg_with_exif()
    assert b"SecretCam" in photo and b"shot by the AI team" in photo
    archive = MediaZip(
        zipped({"media/ai-photo-by-model.jpg": photo, "human.png": png_bytes()}),
        label="media.zip",
        max_bytes=10_000_000,
    )
    report = run_import(
        draft_study,
        "samples.csv",
        "group,file,kind\nai,media/ai-photo-by-model.jpg,image\nhuman,human.png,\n",
        archive,
    )
    assert report.created == 2
    stored = Sample.objects.get(group__key="ai")
    assert stored.kind == "image" and stored.media_type == "image/jpeg"
    assert "ai" not in Path(stored.media.name).name.split(".")[0] or len(stored.media.name) > 30
    assert "photo" not in stored.media.name and "model" not in stored.media.name
    data = stored.media.read()
    for leak in (b"SecretCam", b"image-model-v2", b"shot by the AI team", b"Exif"):
        assert leak not in data
    with Image.open(io.BytesIO(data)) as image:
        assert len(image.getexif()) == 0
        assert image.size == (32, 24)
    assert Sample.objects.get(group__key="human").media.name.endswith(".png")


def test_the_import_command_reads_media_from_a_folder(draft_study, tmp_path, capsys):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "one.png").write_bytes(png_bytes())
    (tmp_path / "samples.csv").write_text("group,file\nhuman,one.png\n", encoding="utf-8")
    call_command("import_samples", "poems", str(tmp_path / "samples.csv"), media=tmp_path / "media")
    assert "Imported 1 samples (human 1)" in capsys.readouterr().out
    assert Sample.objects.get().kind == "image"


def test_the_import_command_fails_with_every_error_and_stores_nothing(draft_study, tmp_path):
    (tmp_path / "samples.csv").write_text(
        "group,text\nhuman,Fine.\nrobot,Beep.\n,No group.\n", encoding="utf-8"
    )
    with pytest.raises(CommandError) as error:
        call_command("import_samples", "poems", str(tmp_path / "samples.csv"))
    message = str(error.value)
    assert "nothing was imported" in message
    assert "samples.csv line 3, field group: unknown group 'robot'" in message
    assert "samples.csv line 4, field group: missing" in message
    assert Sample.objects.count() == 0


def test_an_unknown_group_is_named_with_file_line_field_and_the_known_groups(draft_study):
    rows = "".join(f"human,Sample {i}.\n" for i in range(12))
    errors = failure(draft_study, "samples.csv", "group,text\n" + rows + "robot,Beep.\n")
    assert errors == [
        "samples.csv line 14, field group: unknown group 'robot' (known: human, ai, collaboration)"
    ]


def test_a_row_without_text_or_file_is_refused(draft_study):
    errors = failure(draft_study, "samples.csv", "group,text,file\nhuman,,\n")
    assert errors == ["samples.csv line 2, field text: missing; a sample needs text or a file"]


def test_duplicate_ids_in_the_file_and_in_the_study_are_refused(draft_study):
    run_import(draft_study, "first.csv", "id,group,text\nx1,human,Kept.\n")
    errors = failure(
        draft_study, "second.csv", "id,group,text\nx2,ai,One.\nx2,ai,Two.\nx1,ai,Three.\n"
    )
    assert errors == [
        "second.csv line 3, field id: duplicate id 'x2' (also on line 2)",
        "second.csv line 4, field id: duplicate id 'x1' (already in the study)",
    ]
    assert Sample.objects.count() == 1


@pytest.mark.parametrize(
    ("expected", "problem"),
    [
        ("3-1", "'3-1' runs backwards"),
        ("lots", "'lots' is not a score range like 1-3"),
        ("0-12", "must be between 1 and 10"),
        ("", "an attention check needs its expected score range"),
    ],
)
def test_a_bad_expected_range_is_refused(draft_study, expected, problem):
    errors = failure(
        draft_study, "samples.csv", f"group,text,attention,expected\nai,Check.,yes,{expected}\n"
    )
    assert len(errors) == 1
    assert errors[0].startswith("samples.csv line 2, field expected: ")
    assert problem in errors[0]


def test_a_file_that_is_not_utf8_is_refused_with_its_line(draft_study):
    data = "group,text\nhuman,Fine.\nai,Caf\u00e9 cr\u00e8me.\n".encode("latin-1")
    errors = failure(draft_study, "samples.csv", data)
    assert len(errors) == 1
    assert errors[0].startswith("samples.csv line 3: not valid UTF-8 (byte 0xe9 at column 7)")


def test_a_truncated_jsonl_line_is_refused_with_its_line(draft_study):
    text = '{"group": "human", "text": "Whole."}\n{"group": "ai", "text": "Cut sho'
    errors = failure(draft_study, "samples.jsonl", text)
    assert len(errors) == 1
    assert errors[0].startswith("samples.jsonl line 2: not valid JSON")


def test_a_non_image_renamed_png_is_refused_by_its_content(draft_study):
    archive = MediaZip(
        zipped({"cat.png": b"hello, this is a text file and not a picture\n"}),
        label="media.zip",
        max_bytes=10_000_000,
    )
    errors = failure(draft_study, "samples.csv", "group,file\nhuman,cat.png\n", archive)
    assert len(errors) == 1
    assert errors[0].startswith("samples.csv line 2, field file: 'cat.png': ")
    assert "not a supported image or audio file" in errors[0]


def test_a_media_file_over_the_size_limit_is_refused(draft_study):
    archive = MediaZip(zipped({"big.png": png_bytes()}), label="media.zip", max_bytes=50)
    errors = failure(draft_study, "samples.csv", "group,file\nhuman,big.png\n", archive)
    assert errors[0].startswith("samples.csv line 2, field file: 'big.png': ")
    assert "limit" in errors[0]


def test_a_missing_media_file_names_the_archive(draft_study):
    archive = MediaZip(zipped({"a.png": png_bytes()}), label="media.zip", max_bytes=10**6)
    errors = failure(draft_study, "samples.csv", "group,file\nhuman,b.png\n", archive)
    assert errors == ["samples.csv line 2, field file: 'b.png' is not in media.zip"]


def test_all_errors_are_reported_at_once_up_to_the_cap(draft_study, settings):
    settings.BLINDRATE_IMPORT_MAX_ERRORS = 5
    rows = "".join(f"robot,Beep {i}.\n" for i in range(20))
    with pytest.raises(ImportFailed) as error:
        run_import(draft_study, "samples.csv", "group,text\n" + rows)
    assert len(error.value.errors) == 5 and error.value.more
    assert "stopped after 5 errors" in str(error.value)
    assert Sample.objects.count() == 0


def test_several_errors_in_one_file_are_all_listed(draft_study):
    text = "group,text,kind,colour\nhuman,Fine.,,red\nai,,,\ncollaboration,Ok.,video,\n"
    errors = failure(draft_study, "samples.csv", text)
    assert errors == [
        "samples.csv line 2, field colour: unknown column "
        "(known: group, text, file, brief, kind, id, attention, expected, meta_*)",
        "samples.csv line 3, field colour: unknown column "
        "(known: group, text, file, brief, kind, id, attention, expected, meta_*)",
        "samples.csv line 3, field text: missing; a sample needs text or a file",
        "samples.csv line 4, field colour: unknown column "
        "(known: group, text, file, brief, kind, id, attention, expected, meta_*)",
        "samples.csv line 4, field kind: unknown kind 'video' (known: text, image, audio)",
    ]


def test_each_problem_is_data_with_its_place_and_a_stable_code(draft_study):
    with pytest.raises(ImportFailed) as failed:
        samples_import(
            study=draft_study, file_name="samples.csv", data=b"group,text\nrobot,Hi.\nhuman,\n"
        )
    assert [(p.source, p.line, p.field, p.code) for p in failed.value.problems] == [
        ("samples.csv", 2, "group", "unknown"),
        ("samples.csv", 3, "text", "missing"),
    ]


def test_a_csv_row_with_too_many_values_is_refused(draft_study):
    errors = failure(draft_study, "samples.csv", "group,text\nhuman,One,two\n")
    assert errors == ["samples.csv line 2: 3 values, but the header names 2 columns"]


def test_an_unsupported_file_type_is_refused(draft_study):
    errors = failure(draft_study, "samples.xlsx", b"PK\x03\x04")
    assert errors == ["samples.xlsx: unsupported file type; use .csv or .jsonl"]


def test_texts_that_give_their_source_away_are_flagged(draft_study):
    report = run_import(
        draft_study,
        "samples.csv",
        'group,text\nai,"As an AI language model, I wrote this poem."\nhuman,Plain words.\n',
    )
    assert report.created == 2
    first = report.warnings[0]
    assert (first.source, first.line, first.field, first.code) == (
        "samples.csv",
        2,
        None,
        "blinding",
    )
    assert "mentions being an AI" in first.message
    assert str(first).startswith("samples.csv line 2: ")
    flagged = Sample.objects.get(group__key="ai")
    assert flagged.source_warnings
    assert Sample.objects.get(group__key="human").source_warnings == []


def test_media_formats_that_differ_by_group_are_flagged(draft_study):
    archive = MediaZip(
        zipped({"a.jpg": jpeg_with_exif(), "h.png": png_bytes(), "h2.png": png_bytes((9, 9, 9))}),
        label="media.zip",
        max_bytes=10**6,
    )
    report = run_import(
        draft_study, "samples.csv", "group,file\nai,a.jpg\nhuman,h.png\nhuman,h2.png\n", archive
    )
    assert [str(w) for w in report.warnings] == [
        "image formats differ by group (ai: image/jpeg; human: image/png), so raters could "
        "tell the groups apart; convert them to one format"
    ]


def test_media_in_one_format_for_every_group_raise_no_warning(draft_study):
    archive = MediaZip(
        zipped({"a.png": png_bytes(), "h.png": png_bytes((9, 9, 9))}),
        label="m.zip",
        max_bytes=10**6,
    )
    report = run_import(draft_study, "samples.csv", "group,file\nai,a.png\nhuman,h.png\n", archive)
    assert report.warnings == []


def test_import_made_briefs_show_raters_no_title(draft_study):
    """A brief's key is the researcher's word ("ai-prompt"); raters never see it."""
    run_import(draft_study, "s.csv", "group,brief,text\nhuman,story-1,A poem.\nai,story-1,B.\n")
    brief = Brief.objects.get(study=draft_study, key="story-1")
    assert brief.title == "" and brief.text == ""


def test_briefs_that_could_mark_a_group_are_warned_about(draft_study):
    report = run_import(
        draft_study,
        "s.csv",
        "group,brief,text\n"
        "ai,ai-prompt,One.\n"  # named after a group, and one group only
        "human,ai-prompt,Two.\n"
        "collaboration,solo,Three.\n"  # one group only
        "human,shared,Four.\nai,shared,Five.\ncollaboration,shared,Six.\n"  # fine
        "human,rainy-day,Seven.\nai,rainy-day,Eight.\n",  # "ai" inside a word: fine
    )
    assert [str(w) for w in report.warnings] == [
        "brief 'ai-prompt': its key names the group 'ai'; rename it, since a brief's title "
        "is shown to raters",
        "brief 'solo' is used by group 'collaboration' only, so what raters see of it marks "
        "that group's samples; give every group samples of it",
    ]
    Brief.objects.filter(key="shared").update(title="The Human-AI collaboration prompt")
    from studies.import_warnings import brief_warnings

    assert any(
        "'shared': its title names the group 'collaboration'" in w
        for w in brief_warnings(draft_study)
    )


def test_an_attention_check_alone_does_not_make_a_brief_one_groups(draft_study):
    report = run_import(
        draft_study,
        "s.csv",
        "group,brief,text,attention,expected\n"
        "human,b,One.,,\nai,b,Two.,,\ncollaboration,b,Three.,,\nhuman,b,Score 1.,yes,1-2\n",
    )
    assert report.warnings == []
