"""A tour of the five dataset sources: builds each one small and prints shapes.

TAU 2020 Mobile and SECL-UMONS cannot be downloaded here, so the tour points
the readers at tiny fake copies it writes in a temporary folder with
``keras_specmix.datasets.fakes`` (the same layout as the real datasets);
pass ``--tau ROOT`` / ``--secl ROOT`` to read your own copies instead. A
messy folder (every audio format libsndfile writes, mixed rates, one text
file) goes through ``from_directory`` with ``on_error="skip"``. Spoken digits
need espeak-ng (``scripts/install_system_deps.sh``).

    python examples/datasets_tour.py
"""

import argparse
import os
import tempfile

from keras_specmix import datasets
from keras_specmix.datasets import fakes


def show(name, ds):
    element = next(iter(ds))
    print(
        f"{name:16s} features {tuple(element[0].shape)}  classes "
        f"{len(ds.class_names)}: {', '.join(ds.class_names[:4])}...  "
        f"metadata {sorted(ds.metadata)}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tau", help="root of your TAU 2020 Mobile copy")
    parser.add_argument("--secl", help="root of your SECL-UMONS copy")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    tau = args.tau or str(datasets.write_fake_tau2020_mobile(os.path.join(tmp, "TAU")))
    secl = args.secl or str(datasets.write_fake_secl_umons(os.path.join(tmp, "SECL")))

    show(
        "tau2020_mobile",
        datasets.tau2020_mobile(tau, "train", clip_seconds=None if args.tau else 0.3),
    )
    show("secl_umons", datasets.secl_umons(secl, "train"))
    show("from_directory", datasets.from_directory(os.path.join(secl, "Unilabel")))
    # A messy folder: every format libsndfile writes here, 16 kHz stereo and
    # a 48-kHz Opus file, plus one file that is not audio.
    messy = os.path.join(tmp, "messy")
    for label, freq in (("low", 300), ("high", 3000)):
        fakes.write_audio_formats(
            os.path.join(messy, label), fakes.tone(0.5, 16000, freq, channels=2), 16000
        )
    with open(os.path.join(messy, "low", "notes.txt"), "w") as f:
        f.write("not audio\n")
    ds = datasets.from_directory(messy, clip_seconds=0.5, on_error="skip")
    show("messy folder", ds)
    print(
        f"{'':16s} {len(ds.metadata['path'])} files read, skipped: "
        f"{[os.path.basename(p) for p, _ in ds.skipped]}"
    )
    show(
        "synthetic", datasets.synthetic_scenes("validation", num_locations=3, clips_per_location=1)
    )
    show("spoken_digits", datasets.spoken_digits("test"))
    paper = datasets.synthetic_scenes(
        "validation", num_locations=3, clips_per_location=1, paper_shape=True
    )
    batch = next(iter(datasets.random_crop(paper.repeat(), 400, seed=0).batch(32)))
    print("paper-shaped batch after the 400-frame crop:", tuple(batch[0].shape))


if __name__ == "__main__":
    main()
