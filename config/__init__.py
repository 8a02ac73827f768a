import os

# One BLAS thread per process: web and worker processes already use every core, and the
# analysis's small dense solves run several times slower with OpenBLAS's threads
# competing (measured: the mixed-model tests take 37 s threaded, 4 s single-threaded).
# Set before NumPy is first imported; an explicit value in the environment wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from config.celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
