"""Which devices TensorFlow may use inside one trial or training task.

Ray hands a trial its GPUs (``CUDA_VISIBLE_DEVICES`` in the worker, ``ray.get_gpu_ids()``);
TensorFlow must then see exactly those devices, grow its memory on demand so trials with a
fractional GPU can share one device, and use as many threads as CPUs the trial asked for.
Must run before TensorFlow creates its runtime (the first op), i.e. first thing in a trial.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class DeviceSetup:
    """What a trial ended up with; reported in its lineage and logs."""

    cuda_visible_devices: str
    gpus: tuple[str, ...]
    threads: int


def plan_environment(gpu_ids: Sequence[str | int], cpus: float) -> dict[str, str]:
    """Environment variables TensorFlow reads at start-up for the given Ray assignment.

    Without GPUs the variable is set to the empty string so TensorFlow on a GPU node does not
    grab devices that Ray gave to other trials.
    """
    return {
        "CUDA_VISIBLE_DEVICES": ",".join(str(i) for i in gpu_ids),
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "OMP_NUM_THREADS": str(max(1, int(cpus))),
    }


def configure_tensorflow(gpu_ids: Sequence[str | int], cpus: float) -> DeviceSetup:
    """Apply ``plan_environment`` and the matching TensorFlow settings in this process."""
    env = plan_environment(gpu_ids, cpus)
    os.environ.update(env)
    import tensorflow as tf

    threads = max(1, int(cpus))
    gpus = tf.config.list_physical_devices("GPU")
    try:
        for gpu in gpus:
            tf.config.experimental.set_memory_growth(gpu, True)
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
    except RuntimeError as e:  # the runtime was already initialized in this process
        logger.warning("TensorFlow devices already initialized; settings unchanged: %s", e)
    setup = DeviceSetup(
        cuda_visible_devices=env["CUDA_VISIBLE_DEVICES"],
        gpus=tuple(g.name for g in gpus),
        threads=threads,
    )
    logger.info("TensorFlow devices: %s", setup)
    return setup
