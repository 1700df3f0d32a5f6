#!/usr/bin/env bash
# Generates the Python stubs the SDK ships (sdk/python/trainingcore/v1/) from proto/, with
# Debian's protoc (protobuf-compiler) and grpc_python_plugin (protobuf-compiler-grpc). The
# modules import each other package-relatively (`from . import x_pb2`), so they work wherever
# the package is installed. CI runs this and checks the result with `git diff --exit-code`.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/sdk/python/trainingcore/v1"
protoc="${PROTOC:-$(command -v protoc || true)}"
plugin="${GRPC_PYTHON_PLUGIN:-$(command -v grpc_python_plugin || true)}"
if [ -z "$protoc" ] || [ -z "$plugin" ] || [ ! -f /usr/include/google/protobuf/struct.proto ]; then
  echo "generate-python.sh: needs protoc, grpc_python_plugin and the well-known types:" >&2
  echo "  apt-get install -y protobuf-compiler protobuf-compiler-grpc" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$protoc" -I "$root/proto" -I /usr/include \
  --python_out="$tmp" --pyi_out="$tmp" --grpc_out="$tmp" \
  --plugin=protoc-gen-grpc="$plugin" \
  "$root"/proto/trainingcore/v1/*.proto
# `from trainingcore.v1 import x_pb2 as y` -> `from . import x_pb2 as y`
sed -i -E 's/^from trainingcore\.v1 import /from . import /' "$tmp"/trainingcore/v1/*.py "$tmp"/trainingcore/v1/*.pyi
if grep -rn "trainingcore\.v1 import\|import trainingcore" "$tmp"/trainingcore/v1; then
  echo "generate-python.sh: an absolute import was left in the stubs" >&2
  exit 1
fi
find "$out" -maxdepth 1 \( -name '*_pb2.py' -o -name '*_pb2.pyi' -o -name '*_pb2_grpc.py' \) -delete
cp "$tmp"/trainingcore/v1/* "$out"/
printf '"""Generated protocol stubs (scripts/generate-python.sh); do not edit."""\n' >"$out/__init__.py"
