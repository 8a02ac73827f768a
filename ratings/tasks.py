"""Scheduled work of the rating side (Celery beat, see CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task


@shared_task(name="ratings.leases_release", ignore_result=True)
def leases_release_task() -> int:
    """Give back the slots of leases that ran out unrated."""
    from ratings.services import leases_release

    return leases_release()
