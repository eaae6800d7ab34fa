#!/bin/sh
# Build the one-folder desktop bundle into dist/earmark/ with a .desktop entry and icon beside it,
# then smoke-run it: --version, and an offscreen start that quits by itself.
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY -m pip install -q "pyinstaller==6.22.3" "pyinstaller-hooks-contrib==2026.9"
$PY -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/earmark.spec
mkdir -p dist/earmark/share/applications dist/earmark/share/icons/hicolor/scalable/apps
cp packaging/earmark.desktop dist/earmark/share/applications/
cp desktop_app/resources/earmark.svg dist/earmark/share/icons/hicolor/scalable/apps/earmark.svg
echo "bundle: $(du -sh dist/earmark | cut -f1) in dist/earmark"
dist/earmark/earmark-desktop --version
home="$(mktemp -d)"
EARMARK_HOME="$home" dist/earmark/earmark-desktop --check
EARMARK_HOME="$home" dist/earmark/earmark-desktop --check-listen
EARMARK_HOME="$home" dist/earmark/earmark-desktop --check-calls
EARMARK_HOME="$home" dist/earmark/earmark-desktop --check-train
EARMARK_HOME="$home" QT_QPA_PLATFORM=offscreen dist/earmark/earmark-desktop --quit-after 3000
echo "bundle smoke run: ok"
