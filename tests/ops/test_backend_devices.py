"""Device placement of the PyTorch random primitives, checkable without a GPU."""

import pytest

from keras_specmix.ops import _backend


def test_torch_split_draws_on_the_cpu_whatever_the_device(monkeypatch):
    """Seeds live on the CPU: on a CUDA machine a generator made for the default
    device (cuda) cannot draw them (``torch.randint(..., device="cpu")``)."""
    torch = pytest.importorskip("torch")
    rng = _backend._TorchRandom()
    monkeypatch.setattr(rng, "device", lambda: "cuda")  # Keras' device on a GPU machine
    made = []
    real = torch.Generator

    def recording(device=None):
        made.append(str(device))
        return real(device="cpu")

    monkeypatch.setattr(torch, "Generator", recording)
    seeds = rng.split(rng.as_seed([1, 2]), 3)
    assert made == ["cpu"]
    assert len(seeds) == 3 and all(s.device.type == "cpu" for s in seeds)
