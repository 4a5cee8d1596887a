"""MixingPolicy layer: one of several mixing layers per example or per batch."""

from collections.abc import Sequence
from typing import Any
from typing import Literal

import keras

from keras_specmix import _validation
from keras_specmix._keys import MIX_METHODS
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.mixing import MIX_WEIGHTS
from keras_specmix.layers.mixing import MixingLayer
from keras_specmix.ops import _backend
from keras_specmix.ops import fusion
from keras_specmix.ops import policy as policy_ops
from keras_specmix.ops import random as random_ops


@keras.saving.register_keras_serializable(package="keras_specmix")
class MixingPolicy(MixingLayer):
    """Applies one of several mixing layers to each example (or batch).

    Per example (``mode="example"``) or once per batch (``mode="batch"``),
    the mixer ``k`` is chosen with probability ``probs[k]``; the example's
    output, its labels and its λ are the ones that mixer produces, labels
    under that mixer's own ``label_rule`` (``CutMix(label_rule="max")``
    gives max labels inside a policy too). The policy draws one partner per
    example and every mixer uses it, nested policies at any depth included,
    so each example is mixed with exactly one other example whichever
    method it gets, and the reported ``"partners"``, the labels and the
    packed targets of ``keras_specmix.losses.LossMixingModel`` all name the
    example actually mixed in. ``prob`` (the probability that an example,
    or in ``"batch"`` mode the batch, is mixed at all) applies before the
    choice; each mixer's own ``prob`` applies too.

    What ``mode="batch"`` shares across the batch, exactly: the policy's own
    two draws, the choice of mixer and (with ``prob < 1``) the decision to
    mix at all; so the policy's ``gate_granularity`` and
    ``param_granularity`` are its ``mode``. Everything the mixers draw
    follows the mixers' own arguments: λ, the CutMix box and the SpecMix
    bands are per example unless a mixer has ``param_granularity="batch"``,
    and a mixer's own ``prob`` is per example unless it has
    ``gate_granularity="batch"``. Partners are always per example. timm's
    ``Mixup(mode="batch")`` (one method, one λ and one box for the batch)
    is therefore ``MixingPolicy([MixUp(param_granularity="batch"),
    CutMix(param_granularity="batch")], mode="batch")``.

    timm's ``Mixup(mixup_alpha, cutmix_alpha, switch_prob=p, mode="elem")``
    corresponds to ``MixingPolicy([MixUp(alpha=a), CutMix(alpha=c)],
    probs=[1 − p, p])`` (timm pairs example ``i`` with ``B − 1 − i``, this
    library with a random partner).

    With ``return_mix_info=True`` the output holds ``"mix_weights"`` (λ),
    ``"partners"`` (the shared partner; for an unmixed example the partner
    drawn, which contributed nothing since λ = 1) and ``"mix_methods"``
    (int32 ``(batch,)``: the index in ``mixers`` of the method applied, −1
    wherever the example came out unmixed, λ = 1, whatever left it so: the
    policy's ``prob``, a mixer's own ``prob``, a SpecMix draw of no band, an
    empty CutMix box, a batch of one).

    Args:
        mixers: list of mixing layers (``MixUp``, ``CutMix``, ``SpecMix``,
            another ``MixingPolicy``) or their serialized configs. Their
            seeds, ``num_classes`` and ``return_mix_info`` are not used: this
            layer draws for them and one-hot encodes the labels itself.
            Their ``label_rule`` and ``prob`` are used.
        probs: list of probabilities, one per mixer, summing to 1; None
            gives each mixer the same share. Defaults to None.
        mode: ``"example"`` or ``"batch"``: the granularity of the choice
            of mixer and of the ``prob`` gate. Defaults to ``"example"``.
        num_classes: int or None; required for sparse integer labels.
        prob: float in [0, 1], probability of mixing at all. Defaults to 1.
        return_mix_info: bool. Defaults to False.
        label_rule: must be ``"mix"`` (the default): the label rule is each
            mixer's own.
        seed: int >= 0 or None.
        **kwargs: base layer arguments. ``gate_granularity`` and
            ``param_granularity`` may be given but must equal ``mode``.

    Input shape:
        ``{"spectrograms": (batch, time, freq[, channels]), "labels":
        (batch, classes) or (batch,)}``, optionally ``"lengths"``.

    Output shape:
        ``{"spectrograms": same as input, "labels": (batch, classes)}``.

    Raises:
        ValueError: on an empty ``mixers``, bad ``probs`` or ``mode``, a
            ``label_rule`` other than ``"mix"`` (set it on the mixers), or a
            ``gate_granularity``/``param_granularity`` other than ``mode``
            (set λ and region granularity on the mixers).
        TypeError: when a mixer is not a mixing layer.

    Examples:
        >>> import keras_specmix as ks
        >>> policy = ks.MixingPolicy([ks.MixUp(alpha=0.8), ks.CutMix(alpha=1.0)],
        ...                          probs=[0.5, 0.5], num_classes=4,
        ...                          return_mix_info=True, seed=0)
        >>> x = tf.random.normal([8, 100, 64, 1])
        >>> out = policy({"spectrograms": x, "labels": tf.range(8) % 4})
        >>> out["labels"].shape, sorted(set(out["mix_methods"].numpy().tolist()) - {-1, 0, 1})
        (TensorShape([8, 4]), [])

    Safe in ``tf.data``; compiles under ``jit_compile=True``; usable as the
    mixer of ``keras_specmix.MixingModel``.
    """

    def __init__(
        self,
        mixers: Sequence[MixingLayer],
        probs: Sequence[float] | None = None,
        mode: Literal["example", "batch"] = "example",
        **kwargs: Any,
    ) -> None:
        mode = _validation.check_choice("mode", mode, set(policy_ops.POLICY_MODES))
        for name in ("gate_granularity", "param_granularity"):
            given = kwargs.setdefault(name, mode)
            if given != mode:
                raise ValueError(
                    f"MixingPolicy draws its gate and its choice of mixer per `mode`; "
                    f"set `mode` instead of `{name}`, and give λ or box granularity to "
                    f"the mixers, e.g. MixUp(param_granularity='batch'). Received: "
                    f"{name}={given!r} with mode={mode!r}"
                )
        super().__init__(**kwargs)
        if self.label_rule != "mix":
            raise ValueError(
                "MixingPolicy applies each mixer's own label_rule: set it on each mixer, "
                "e.g. MixingPolicy([CutMix(label_rule='max'), SpecMix(label_rule='max')]). "
                f"Received: label_rule={self.label_rule!r}"
            )
        self.mixers = _check_mixers(mixers)
        self.probs = policy_ops.check_probs(probs, len(self.mixers))
        self.mode = mode
        self._fused_mix = fusion.fused(self._mix_all)

    def sample_params(self, data, seed, partner=None):
        x = data[SPECTROGRAMS]
        xp = _backend.namespace(x)
        batch_size = xp.shape(x)[0]
        seeds = xp.split(seed, len(self.mixers) + 3)
        choice = policy_ops.sample_policy_choice(seeds[0], batch_size, self.probs, self.mode)
        choice = choice["choice"]
        if self.prob < 1.0:
            applied = random_ops.gate(seeds[1], batch_size, self.prob, self.gate_granularity)
            choice = xp.where(applied, choice, -1)
        if partner is None:
            partner = random_ops.pair_indices(seeds[2], batch_size)
        # One partner for every candidate, pushed down to every depth: each
        # mixer draws its region (within the span shared with this partner,
        # for padded batches) and its λ for the partner it will use.
        per_mixer = [
            mixer.sample_params(data, mixer_seed, partner=partner)
            for mixer, mixer_seed in zip(self.mixers, seeds[3:])
        ]
        return {"choice": choice, "partner": partner, "mixers": per_mixer}

    def mix(self, x, y, params, lengths=None):
        # One XLA computation for the candidates and the selection on
        # TensorFlow with static shapes (the mixers' own fused applies inline).
        return self._fused_mix(x, y, params, lengths)

    def _mix_all(self, x, y, params, lengths=None):
        xp = _backend.namespace(x)
        outputs = [
            mixer.mix_and_label(x, y, mixer_params, lengths)
            for mixer, mixer_params in zip(self.mixers, params["mixers"])
        ]
        batch_size = xp.shape(x)[0]
        choice = xp.cast(params["choice"], "int32") + 1  # 0: not mixed
        x_out = policy_ops.select_by_choice(choice, [x] + [o[0] for o in outputs])
        y_out = policy_ops.select_by_choice(choice, [y] + [xp.cast(o[1], y.dtype) for o in outputs])
        lam = policy_ops.select_by_choice(
            choice,
            [xp.ones((batch_size,), "float32")] + [xp.cast(o[2], "float32") for o in outputs],
        )
        return x_out, y_out, lam

    def transform(self, data, params):
        out = super().transform(data, params)
        if self.return_mix_info:
            xp = _backend.namespace(data[SPECTROGRAMS])
            # −1 wherever nothing of the partner was kept (λ = 1), whatever
            # skipped the example, so the info says what happened.
            unmixed = out[MIX_WEIGHTS] >= 1.0
            out[MIX_METHODS] = xp.where(unmixed, -1, xp.cast(params["choice"], "int32"))
        return out

    def identity(self, data):
        out = super().identity(data)
        if self.return_mix_info:
            xp = _backend.namespace(data[SPECTROGRAMS])
            out[MIX_METHODS] = xp.full((xp.shape(data[SPECTROGRAMS])[0],), -1, "int32")
        return out

    def compute_output_shape(self, input_shape):
        out = super().compute_output_shape(input_shape)
        if self.return_mix_info:
            out[MIX_METHODS] = tuple(input_shape[SPECTROGRAMS])[:1]
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            mixers=[keras.saving.serialize_keras_object(m) for m in self.mixers],
            probs=list(self.probs),
            mode=self.mode,
        )
        return config


def _check_mixers(mixers):
    if not isinstance(mixers, (list, tuple)) or not mixers:
        _validation._fail("mixers", "a non-empty list of mixing layers", mixers)
    layers = []
    for mixer in mixers:
        if isinstance(mixer, dict):
            mixer = keras.saving.deserialize_keras_object(mixer)
        if not isinstance(mixer, MixingLayer):
            _validation._fail(
                "mixers",
                "a list of keras_specmix mixing layers (MixUp, CutMix, SpecMix)",
                mixers,
                TypeError,
            )
        layers.append(mixer)
    return layers
