"""The per-process pieces of ``--strategy keras-distribution``, in one process.

The two-process run itself is ``test_multihost.py``.
"""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_specmix.datasets import pipeline
from keras_specmix.experiments import distribute
from keras_specmix.experiments import runner
from keras_specmix.experiments import sources
from keras_specmix.experiments import splits
from keras_specmix.experiments import train


@settings(max_examples=50, deadline=None)
@given(count=st.integers(0, 200), num_shards=st.integers(1, 9))
def test_shards_partition_the_examples(count, num_shards):
    shards = [pipeline.shard_indices(count, num_shards, i) for i in range(num_shards)]
    joined = np.concatenate(shards)
    assert sorted(joined.tolist()) == list(range(count))  # every example once
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1


def test_shard_index_must_be_below_the_shard_count():
    with pytest.raises(ValueError, match=r"`index` must be in \[0, num_shards=2\)"):
        pipeline.shard_indices(10, 2, 2)


def test_process_seed_is_the_run_seed_on_one_process_and_differs_between_processes():
    assert train.process_seed(5) == 5
    seeds = [train.process_seed(5, 4, i) for i in range(4)]
    assert len(set(seeds)) == 4
    assert seeds == [train.process_seed(5, 4, i) for i in range(4)]  # reproducible


def test_default_placement_keeps_the_settings_keys_of_earlier_results():
    assert "augment_in" not in train.RunConfig().to_dict()
    assert train.RunConfig(augment_in="data").to_dict()["augment_in"] == "data"


def _splits(n, shard):
    x = np.arange(n * 4 * 2 * 1, dtype="float32").reshape(n, 4, 2, 1)
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(n) % 2))
    return splits.Splits(ds, ds, ds, ("a", "b"), {}, {}, {"train": n, "validation": n, "test": n},
                          shard=shard, shard_size=n)  # fmt: skip


def test_each_process_batches_its_part_of_the_global_batch():
    config = train.RunConfig(batch_size=8, shuffle_buffer=1)
    x, y = next(iter(train.training_dataset(_splits(8, (2, 1)), config, 0)))
    assert x.shape[0] == y.shape[0] == 4
    x, _ = next(iter(train.training_dataset(_splits(8, None), config, 0)))
    assert x.shape[0] == 8


def test_synthetic_shard_keeps_its_rows_and_the_whole_split_size(tmp_path):
    kwargs = dict(num_locations=3, clips_per_location=1)
    whole = splits.load_splits("synthetic", cache_dir=str(tmp_path), synthetic_kwargs=kwargs)
    part = splits.load_splits(
        "synthetic", cache_dir=str(tmp_path), synthetic_kwargs=kwargs, shard=(2, 1)
    )
    assert part.sizes == whole.sizes
    assert part.shard_size == whole.sizes["train"] // 2
    rows = [x.numpy() for x, _ in whole.train]
    np.testing.assert_array_equal(next(iter(part.train))[0].numpy(), rows[1])
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_the_loading_names_stay_importable_from_sources():
    assert (sources.load_splits, sources.Splits) == (splits.load_splits, splits.Splits)
    assert sources.split_by_group is splits.split_by_group


def test_secl_umons_cannot_be_sharded_yet():
    with pytest.raises(ValueError, match="secl_umons.*cannot be sharded"):
        splits.load_splits("secl_umons", data_dir="x", shard=(2, 0))


def test_several_processes_need_keras_distribution(monkeypatch, capsys):
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    with pytest.raises(SystemExit):
        runner.main(["--strategy", "default", "--seeds", "0"])
    err = capsys.readouterr().err
    assert "KERAS_DISTRIBUTION_NUM_PROCESSES=2" in err
    assert "--strategy keras-distribution" in err


def test_process_count_must_be_a_positive_integer(monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "two")
    with pytest.raises(ValueError, match="Received: KERAS_DISTRIBUTION_NUM_PROCESSES='two'"):
        distribute.env_num_processes()


def test_keras_distribution_needs_the_jax_backend(monkeypatch, capsys):
    monkeypatch.setattr(distribute.keras.backend, "backend", lambda: "tensorflow")
    with pytest.raises(SystemExit):
        runner.main(["--strategy", "keras-distribution", "--seeds", "0"])
    assert "needs KERAS_BACKEND=jax" in capsys.readouterr().err


def test_tf_distribute_strategies_need_the_tensorflow_backend(monkeypatch, capsys):
    monkeypatch.setattr(distribute.keras.backend, "backend", lambda: "jax")
    with pytest.raises(SystemExit):
        runner.main(["--strategy", "mirrored", "--seeds", "0"])
    assert "needs KERAS_BACKEND=tensorflow" in capsys.readouterr().err
