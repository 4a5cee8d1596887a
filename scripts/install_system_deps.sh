#!/usr/bin/env bash
# Installs the system packages keras_specmix's optional datasets need.
#
# Today that is one package: espeak-ng (Debian), the speech synthesiser behind
# `keras_specmix.datasets.spoken_digits`. The script is idempotent: it does
# nothing when espeak-ng is already on PATH, installs it with apt-get when it
# runs as root on a machine with apt-get, and otherwise prints the command to
# run and exits 0 (the library then raises a clear error naming this script).
set -u

say() { printf '[install_system_deps] %s\n' "$*"; }

if command -v espeak-ng >/dev/null 2>&1; then
  say "espeak-ng already installed: $(command -v espeak-ng)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "apt-get not found; install espeak-ng with your package manager."
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "not root; run: sudo apt-get install -y espeak-ng"
  exit 0
fi

say "installing espeak-ng with apt-get"
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y --no-install-recommends espeak-ng >/dev/null 2>&1 || {
  apt-get update >/dev/null 2>&1 &&
    apt-get install -y --no-install-recommends espeak-ng >/dev/null 2>&1
}; then
  say "installed espeak-ng $(espeak-ng --version 2>/dev/null | head -n 1)"
else
  say "apt-get could not install espeak-ng; spoken_digits() will not work."
fi
exit 0
