#!/usr/bin/env bash
# Create (or reuse) the project environment at .venv with the real MMPose 1.3.2 stack.
#
# Idempotent: a stamp records the hash of the inputs, so a second call is instant, and the
# compiled mmcv wheel is kept in a cache outside the clone so a fresh clone on the same
# machine reinstalls in minutes instead of recompiling (~10 min on 2 cores).
# Traps handled here are explained in README.md ("Installation").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CONSTRAINTS="$ROOT/tools/constraints.txt"
WHEELHOUSE="${H3R_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/h3r_mmpose/wheels}"
PYTHON="${PYTHON:-python3}"

inputs_hash() {
  cat "$CONSTRAINTS" "$ROOT/tools/setup_env.sh" | sha256sum | cut -c1-16
}
STAMP="$VENV/.h3r_setup_$(inputs_hash)"
if [[ -f "$STAMP" ]]; then
  exit 0
fi

log() { printf '[setup_env] %s\n' "$*" >&2; }
start=$(date +%s)

[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input)
pin() { grep -E "^$1==" "$CONSTRAINTS"; }

# 1. Build tools and the numerical base (setuptools<81 keeps pkg_resources for mmengine/mim).
log "installing build tools, numpy and torch"
"${PIP[@]}" install -q -c "$CONSTRAINTS" "$(pin setuptools)" wheel ninja psutil "$(pin numpy)"
"${PIP[@]}" install -q -c "$CONSTRAINTS" "$(pin torch)" "$(pin torchvision)"

# 2. mmcv 2.1.0 with compiled CPU ops. PyPI only has the sdist, whose setup.py forces
#    -std=c++17 while torch 2.14 headers need C++20; build once, keep the wheel.
mkdir -p "$WHEELHOUSE"
MMCV_VERSION="$(pin mmcv | cut -d= -f3)"
if ! compgen -G "$WHEELHOUSE/mmcv-${MMCV_VERSION}-*.whl" >/dev/null; then
  log "building mmcv ${MMCV_VERSION} with CPU ops (about 10 minutes on 2 cores, once per machine)"
  build_dir="$(mktemp -d)"
  trap 'rm -rf "$build_dir"' EXIT
  "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
    -d "$build_dir" "mmcv==${MMCV_VERSION}"
  tar -xzf "$build_dir"/mmcv-"${MMCV_VERSION}".tar.gz -C "$build_dir"
  src="$build_dir/mmcv-${MMCV_VERSION}"
  sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
  (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "${PIP[@]}" wheel -q --no-deps --no-build-isolation -w "$WHEELHOUSE" .)
fi
"${PIP[@]}" install -q --no-deps "$WHEELHOUSE"/mmcv-"${MMCV_VERSION}"-*.whl

# 3. The rest of the stack. mmcv's and mmpose's own dependencies are installed explicitly:
#    mmpose's metadata requires chumpy, which does not build and is never imported.
log "installing mmengine, mmdet, mmpose and their dependencies"
"${PIP[@]}" install -q -c "$CONSTRAINTS" \
  "$(pin mmengine)" addict packaging pillow pyyaml yapf regex \
  "$(pin xtcocotools)" "$(pin opencv-python)" json_tricks matplotlib munkres scipy \
  pycocotools shapely terminaltables tqdm six
"${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps "$(pin mmdet)" "$(pin mmpose)"
# openmim pulls openxlab/pandas, which would upgrade numpy and downgrade setuptools: pin them.
"${PIP[@]}" install -q -c "$CONSTRAINTS" "$(pin openmim)"
# Test, lint and deployment tools (tests use hypothesis; tools/lint.sh runs ruff; ONNX export
# and its tests use onnx and onnxruntime, the `deploy` extra of setup.py).
"${PIP[@]}" install -q -c "$CONSTRAINTS" "$(pin pytest)" "$(pin hypothesis)" "$(pin ruff)" \
  "$(pin onnx)" "$(pin onnxruntime)" "$(pin onnxscript)"

# 4. This package, editable.
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"
"$VENV/bin/python" -c "import mmcv.ops, mmdet, mmpose.models, h3r_mmpose" \
  || { log "import check failed"; exit 1; }

rm -f "$VENV"/.h3r_setup_*
touch "$STAMP"
log "environment ready in $(( $(date +%s) - start )) s: $VENV"
