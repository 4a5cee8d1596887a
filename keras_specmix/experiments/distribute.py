"""Distribution strategies for the runner.

- ``"default"``: one device (TensorFlow's default strategy).
- ``"mirrored"``: ``tf.distribute.MirroredStrategy`` over every local GPU
  (or, with ``cpu_replicas=N``, over N logical CPU devices: for tests).
- ``"multi-worker"``: ``tf.distribute.MultiWorkerMirroredStrategy``. Only a
  single worker (no ``TF_CONFIG``, or one listing one worker) runs: with
  two or more workers, Keras 3's ``fit`` fails inside Keras (it reduces
  per-replica batches it cannot convert; keras-team/keras#20585, open), so
  :func:`make_strategy` stops with that explanation instead of starting
  the cluster.
- ``"keras-distribution"``: :class:`KerasDistribution`, Keras' own
  ``keras.distribution.DataParallel`` on the JAX backend over every device of
  every process: one process per host, all started with the same command and
  configured by Keras' documented variables ``KERAS_DISTRIBUTION_JOB_ADDRESSES``
  / ``KERAS_DISTRIBUTION_NUM_PROCESSES`` / ``KERAS_DISTRIBUTION_PROCESS_ID``
  (unset: this process alone, over its local devices). This is the path for
  several hosts (docs/distribute.md).

The batch size given to the runner is the *global* batch: each of R replicas
trains on ``batch_size / R`` examples per step, and the update is the
gradient of the mean loss over the global batch, as on one device with the
whole batch. Under ``tf.distribute`` Keras divides each replica's mean loss
by R and sums the replicas' gradients; under ``keras.distribution`` the loss
is the mean over the batch sharded across the devices and JAX's collectives
combine the per-device parts (tested: one SGD step on 2 replicas equals the
step on one device, ``tests/experiments/test_distribute.py`` and
``test_device_padding.py``). So a step means the same thing on 1 or R
devices. Under ``tf.distribute`` the augmentation runs inside the replica's
``train_step`` and folds the replica id into its seed, so replicas draw
different masks and partners.
"""

import json
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix.experiments.choices import DEFAULT_PROCESS_TIMEOUT
from keras_specmix.experiments.choices import STRATEGIES

ENV_VARS = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID",
)
"""Keras' variables for ``keras.distribution.initialize()``."""


def _initialize_jax(process_timeout):
    """``jax.distributed.initialize`` from Keras' variables, with ``process_timeout``.

    What ``keras.distribution.initialize()`` does with the same variables
    (the coordinator is the first address of
    ``KERAS_DISTRIBUTION_JOB_ADDRESSES``), plus the heartbeat and shutdown
    timeouts, which Keras does not pass. Keras would also draw a shared
    global seed; the runner seeds every run itself.
    """
    import jax  # noqa: PLC0415

    addresses = os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES") or None
    num_processes = (
        env_num_processes() if os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES") else None
    )
    process_id = os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID")
    process_id = int(process_id) if process_id else None
    if addresses and "," in addresses:
        addresses = addresses.split(",")
        if num_processes is not None and num_processes != len(addresses):
            raise ValueError(
                f"KERAS_DISTRIBUTION_JOB_ADDRESSES lists {len(addresses)} addresses, but "
                f"KERAS_DISTRIBUTION_NUM_PROCESSES={num_processes}."
            )
        addresses = addresses[0]
    jax.distributed.initialize(
        coordinator_address=addresses,
        num_processes=num_processes,
        process_id=process_id,
        heartbeat_timeout_seconds=process_timeout,
        shutdown_timeout_seconds=process_timeout,
    )


def env_num_processes() -> int:
    """The process count ``KERAS_DISTRIBUTION_NUM_PROCESSES`` asks for (1 if unset).

    Raises:
        ValueError: if it is set but not an integer >= 1.
    """
    text = os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "").strip()
    if not text:
        return 1
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(
            "KERAS_DISTRIBUTION_NUM_PROCESSES must be an integer >= 1. "
            f"Received: KERAS_DISTRIBUTION_NUM_PROCESSES={text!r}"
        )
    return value


class KerasDistribution:
    """Data parallelism over every device of every process, by ``keras.distribution``.

    Starts ``jax.distributed`` from :data:`ENV_VARS` when any is set (as
    ``keras.distribution.initialize()`` would, with ``process_timeout`` as
    JAX's heartbeat and shutdown timeouts), then builds ``keras.distribution.DataParallel``
    over ``jax.devices()`` (all processes' devices) with
    ``auto_shard_dataset=False``: each process feeds its own part of every
    global batch from its own shard of the files (Keras' automatic sharding
    would have every process read the whole dataset and drop the others'
    batches). The loss is the mean over the global batch inside Keras'
    compiled step, so the gradients are those of the whole batch (JAX's
    collectives combine the devices' parts). Keras splits every batch,
    validation batches included, over this process's devices:
    :func:`~keras_specmix.experiments.train.run_one` pads validation batches
    to a multiple of :attr:`num_local_devices` with zero-weight examples.

    Args:
        process_timeout: seconds without a heartbeat after which JAX's
            coordination service declares a process lost and stops the
            others (:func:`explain_failure`); also the shutdown barrier's
            timeout. Default: :data:`DEFAULT_PROCESS_TIMEOUT`.

    Attributes:
        process_timeout: as given.
        num_processes: the number of processes (hosts).
        process_index: this process's index (0 writes the results).
        num_replicas_in_sync: devices over all processes.
        num_local_devices: devices of this process.
        distribution: the ``keras.distribution.DataParallel``.

    Raises:
        RuntimeError: if the Keras backend is not JAX.

    Examples:
        With ``KERAS_BACKEND=jax`` and no variable set: one process.

        >>> cluster = KerasDistribution()  # doctest: +SKIP
        >>> cluster.num_processes, cluster.is_lead  # doctest: +SKIP
        (1, True)
    """

    def __init__(self, process_timeout=DEFAULT_PROCESS_TIMEOUT):
        self.process_timeout = _validation.check_int("process_timeout", process_timeout, minimum=1)
        backend = keras.backend.backend()
        if backend != "jax":
            raise RuntimeError(
                "--strategy keras-distribution needs KERAS_BACKEND=jax (Keras' "
                "multi-process data parallelism runs on JAX). Received: "
                f"KERAS_BACKEND={backend}"
            )
        import jax  # noqa: PLC0415

        wanted = env_num_processes()
        if any(os.environ.get(v) for v in ENV_VARS):
            _initialize_jax(self.process_timeout)
        self.num_processes = jax.process_count()
        self.process_index = jax.process_index()
        if self.num_processes != wanted:
            raise RuntimeError(
                f"KERAS_DISTRIBUTION_NUM_PROCESSES={wanted}, but JAX started "
                f"{self.num_processes} process(es). Was jax.distributed initialised "
                "before the runner?"
            )
        devices = jax.devices()
        self.num_replicas_in_sync = len(devices)
        self.num_local_devices = jax.local_device_count()
        self.distribution = keras.distribution.DataParallel(
            devices=devices, auto_shard_dataset=False
        )

    @property
    def is_lead(self) -> bool:
        """Whether this is process 0, the one that writes checkpoints' scores and results."""
        return self.process_index == 0

    def scope(self):
        """Context in which models are built and trained data parallel."""
        return self.distribution.scope()

    def broadcast(self, value):
        """Process 0's ``value`` (a NumPy array) on every process."""
        if self.num_processes == 1:
            return np.asarray(value)
        from jax.experimental import multihost_utils  # noqa: PLC0415

        return np.asarray(multihost_utils.broadcast_one_to_all(np.asarray(value)))


def explain_failure(strategy, error, wait=None, log=None, sleep=time.sleep):
    """After an error in a job of several processes: says what it may mean, and waits.

    A process that is killed, crashes or becomes unreachable makes the
    others fail at their next step shared with it (a collective), with an
    error that does not name it. This prints, on this process, which step
    failed and what to do, then waits ``wait`` seconds (default: the
    strategy's ``process_timeout`` + 10) for JAX's coordination service:
    when a process is lost, the service names it ("The following tasks are
    unhealthy (stopped sending heartbeats): <index>", or "the leader task
    ... died" for process 0) and ends this process within
    ``process_timeout`` seconds. If it has not after ``wait`` seconds, no
    process was lost: this returns, and the caller re-raises ``error``.

    Args:
        strategy: the :class:`KerasDistribution` (several processes).
        error: the exception raised on this process.
        wait: seconds to wait for JAX's verdict (None: ``process_timeout + 10``).
        log: a print-like function (default: print to stderr, flushed).
        sleep: a ``time.sleep``-like function (tests inject one).
    """
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    timeout = strategy.process_timeout
    others = [i for i in range(strategy.num_processes) if i != strategy.process_index]
    first = (str(error).strip().splitlines() or [""])[0][:300]
    log(
        f"Process {strategy.process_index} of {strategy.num_processes}: a step shared with "
        f"process{'es' if len(others) > 1 else ''} {', '.join(map(str, others))} failed "
        f"({type(error).__name__}: {first}). If a process was lost (killed, crashed, out "
        f"of memory, unreachable), JAX's coordination service names it within {timeout} s "
        "(--process-timeout) and ends this process. To resume, start every process again "
        "with the same command and --output-dir: finished runs are kept, the interrupted "
        "run starts again."
    )
    sleep(timeout + 10 if wait is None else wait)
    log(
        f"No process was lost within {timeout + 10 if wait is None else wait} s: the error "
        f"is process {strategy.process_index}'s own."
    )


def process_count(strategy: object) -> int:
    """Processes of ``strategy`` (1 for a ``tf.distribute`` strategy or None)."""
    return getattr(strategy, "num_processes", 1)


def process_index(strategy: object) -> int:
    """This process's index in ``strategy`` (0 for a ``tf.distribute`` strategy or None)."""
    return getattr(strategy, "process_index", 0)


def check_environment(name):
    """Refuses a strategy that the environment would make silently wrong.

    With ``KERAS_DISTRIBUTION_NUM_PROCESSES`` > 1 and another strategy, every
    process would train its own model and write its own results.

    Args:
        name: the ``--strategy`` value.

    Raises:
        RuntimeError: naming the variable and the fix.
    """
    wanted = env_num_processes()
    if wanted > 1 and name != "keras-distribution":
        raise RuntimeError(
            f"KERAS_DISTRIBUTION_NUM_PROCESSES={wanted} asks for {wanted} processes, "
            f"but --strategy {name} trains one model per process. Pass --strategy "
            "keras-distribution (with KERAS_BACKEND=jax), or unset the "
            "KERAS_DISTRIBUTION_* variables."
        )
    backend = keras.backend.backend()
    if name in ("mirrored", "multi-worker") and backend != "tensorflow":
        raise RuntimeError(
            f"--strategy {name} is a tf.distribute strategy and needs "
            f"KERAS_BACKEND=tensorflow. Received: KERAS_BACKEND={backend}. On JAX, "
            "use --strategy keras-distribution."
        )


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


def make_strategy(name="default", cpu_replicas=None, process_timeout=None):
    """The strategy called ``name``.

    Args:
        name: one of :data:`STRATEGIES`.
        cpu_replicas: None, or an int >= 1: mirror over that many logical
            CPU devices (``name`` must be ``"mirrored"``).
        process_timeout: None, or seconds after which a silent process is
            declared lost (``name`` must be ``"keras-distribution"``;
            None: :data:`DEFAULT_PROCESS_TIMEOUT`).

    Returns:
        A ``tf.distribute.Strategy``, or a :class:`KerasDistribution` for
        ``"keras-distribution"``.

    Raises:
        ValueError: for an unknown name, ``cpu_replicas`` without
            ``"mirrored"`` or ``process_timeout`` without ``"keras-distribution"``.
        RuntimeError: see :func:`check_environment` and :class:`KerasDistribution`.

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
    if process_timeout is not None and name != "keras-distribution":
        raise ValueError(
            "`process_timeout` needs strategy='keras-distribution'. "
            f"Received: strategy={name!r}, process_timeout={process_timeout}"
        )
    check_environment(name)
    if name == "keras-distribution":
        return KerasDistribution(process_timeout or DEFAULT_PROCESS_TIMEOUT)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "multi-worker":
        workers = _cluster_workers()
        if workers > 1:
            raise RuntimeError(
                f"--strategy multi-worker: TF_CONFIG lists {workers} workers, and "
                f"Keras {keras.__version__}'s fit() cannot train across workers with "
                "tf.distribute.MultiWorkerMirroredStrategy (it fails reducing "
                "per-replica batches; keras-team/keras#20585, open). For several "
                "hosts use KERAS_BACKEND=jax with --strategy keras-distribution "
                "(docs/distribute.md), or train on one host with --strategy "
                "mirrored (all its GPUs)."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if cpu_replicas is not None:
        return tf.distribute.MirroredStrategy(split_cpu(cpu_replicas))
    return tf.distribute.MirroredStrategy()
