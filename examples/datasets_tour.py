"""A tour of the five dataset sources: builds each one small and prints shapes.

TAU 2020 Mobile and SECL-UMONS cannot be downloaded here, so the tour points
the readers at tiny fake copies it writes in a temporary folder with
``keras_specmix.datasets.fakes`` (the same layout as the real datasets); pass ``--tau ROOT`` / ``--secl ROOT`` to read
your own copies instead. Spoken digits need espeak-ng
(``scripts/install_system_deps.sh``).

    python examples/datasets_tour.py
"""

import argparse
import os
import tempfile

from keras_specmix import datasets


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
    tau = args.tau or str(datasets.write_fake_tau2020_mobile(os.path.join(tmp, "TAU")))
    secl = args.secl or str(datasets.write_fake_secl_umons(os.path.join(tmp, "SECL")))

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
