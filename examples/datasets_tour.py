"""A tour of the five dataset sources: builds each one small and prints shapes.

TAU 2020 Mobile and SECL-UMONS cannot be downloaded here, so the tour points
the readers at tiny fake copies it writes in a temporary folder (the same
layout as the real datasets); pass ``--tau ROOT`` / ``--secl ROOT`` to read
your own copies instead. Spoken digits need espeak-ng
(``scripts/install_system_deps.sh``).

    python examples/datasets_tour.py
"""

import argparse
import os
import sys
import tempfile

from keras_specmix import datasets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "datasets"))


def show(name, ds):
    element = next(iter(ds))
    print(f"{name:16s} features {tuple(element[0].shape)}  classes "
          f"{len(ds.class_names)}: {', '.join(ds.class_names[:4])}...  "
          f"metadata {sorted(ds.metadata)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tau", help="root of your TAU 2020 Mobile copy")
    parser.add_argument("--secl", help="root of your SECL-UMONS copy")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    if not (args.tau and args.secl):
        import _fake_datasets as fakes  # noqa: PLC0415 (test fixtures)
        import pathlib  # noqa: PLC0415

        tau = fakes.fake_tau.__wrapped__(pathlib.Path(tmp))
        secl = fakes.fake_secl.__wrapped__(
            pathlib.Path(tmp), type("R", (), {"param": "flat"}))
    tau = args.tau or str(tau)
    secl = args.secl or str(secl)

    show("tau2020_mobile", datasets.tau2020_mobile(tau, "train", clip_seconds=None
                                                   if args.tau else 0.3))
    show("secl_umons", datasets.secl_umons(secl, "train"))
    show("from_directory", datasets.from_directory(os.path.join(secl, "Unilabel")))
    show("synthetic", datasets.synthetic_scenes("validation", num_locations=3,
                                                clips_per_location=1))
    show("spoken_digits", datasets.spoken_digits("test"))
    paper = datasets.synthetic_scenes("validation", num_locations=3,
                                      clips_per_location=1, paper_shape=True)
    batch = next(iter(datasets.random_crop(paper.repeat(), 400, seed=0).batch(32)))
    print("paper-shaped batch after the 400-frame crop:", tuple(batch[0].shape))


if __name__ == "__main__":
    main()
