"""``tf.distribute`` strategies for the runner.

- ``"default"``: one device (TensorFlow's default strategy).
- ``"mirrored"``: ``tf.distribute.MirroredStrategy`` over every local GPU
  (or, with ``cpu_replicas=N``, over N logical CPU devices: for tests).
- ``"multi-worker"``: ``tf.distribute.MultiWorkerMirroredStrategy``. Only a
  single worker (no ``TF_CONFIG``, or one listing one worker) runs: with
  two or more workers, Keras 3's ``fit`` fails inside Keras (it reduces
  per-replica batches it cannot convert; keras-team/keras#20585, open), so
  :func:`make_strategy` stops with that explanation instead of starting
  the cluster.

The batch size given to the runner is the *global* batch: each of R replicas
trains on ``batch_size / R`` examples per step, and the gradients are summed
across replicas, so a step means the same thing on 1 or R devices. Every
augmentation runs inside the replica's ``train_step`` and folds the replica
id into its seed, so replicas draw different masks and partners.
"""

import json
import os

import keras
import tensorflow as tf

from keras_specmix import _validation

STRATEGIES = ("default", "mirrored", "multi-worker")


def _cluster_workers():
    """How many workers (chief included) ``TF_CONFIG`` lists; 1 without one."""
    config = os.environ.get("TF_CONFIG")
    if not config:
        return 1
    try:
        cluster = json.loads(config).get("cluster", {})
    except (ValueError, AttributeError) as error:
        raise ValueError(f"TF_CONFIG is not a JSON object. Received: {config!r}") from error
    return max(1, len(cluster.get("worker", [])) + len(cluster.get("chief", [])))


def split_cpu(num_devices):
    """Splits the first physical CPU into ``num_devices`` logical devices.

    Must run before TensorFlow initialises its devices (before the first
    op), i.e. at the start of a process.

    Args:
        num_devices: int >= 1.

    Returns:
        The logical CPU device names.

    Raises:
        RuntimeError: if TensorFlow already initialised a different layout.
    """
    num_devices = _validation.check_int("cpu_replicas", num_devices, minimum=1)
    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)]
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError as error:
        have = tf.config.list_logical_devices("CPU")
        if len(have) != num_devices:
            raise RuntimeError(
                f"`cpu_replicas={num_devices}` must be set before TensorFlow starts "
                f"(it already has {len(have)} logical CPU devices). Run it at the "
                "start of a fresh process."
            ) from error
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def make_strategy(name="default", cpu_replicas=None):
    """The strategy called ``name``.

    Args:
        name: one of :data:`STRATEGIES`.
        cpu_replicas: None, or an int >= 1: mirror over that many logical
            CPU devices (``name`` must be ``"mirrored"``).

    Returns:
        A ``tf.distribute.Strategy``.

    Raises:
        ValueError: for an unknown name or ``cpu_replicas`` without
            ``"mirrored"``.

    Examples:

    >>> make_strategy("default").num_replicas_in_sync
    1
    """
    name = _validation.check_choice("strategy", name, STRATEGIES)
    if cpu_replicas is not None and name != "mirrored":
        raise ValueError(
            "`cpu_replicas` needs strategy='mirrored'. "
            f"Received: strategy={name!r}, cpu_replicas={cpu_replicas}"
        )
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "multi-worker":
        workers = _cluster_workers()
        if workers > 1:
            raise RuntimeError(
                f"--strategy multi-worker: TF_CONFIG lists {workers} workers, and "
                f"Keras {keras.__version__}'s fit() cannot train across workers with "
                "tf.distribute.MultiWorkerMirroredStrategy (it fails reducing "
                "per-replica batches; keras-team/keras#20585, open). Train on one "
                "host with --strategy mirrored (all its GPUs) instead."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if cpu_replicas is not None:
        return tf.distribute.MirroredStrategy(split_cpu(cpu_replicas))
    return tf.distribute.MirroredStrategy()
