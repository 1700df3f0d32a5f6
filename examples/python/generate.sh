#!/usr/bin/env bash
# Generates the Python gRPC stubs for the Training Core protocol into examples/python/gen/,
# when they are missing or older than any .proto file under proto/.
#
# Needs the Debian packages protobuf-compiler (protoc and the well-known types' .proto files
# in /usr/include) and protobuf-compiler-grpc (grpc_python_plugin); the generated code runs
# on python3-protobuf and python3-grpcio.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
proto_root="$(cd "$here/../../proto" && pwd)"
out="$here/gen"
stamp="$out/.generated"

if [ -f "$stamp" ] && [ -z "$(find "$proto_root" -name '*.proto' -newer "$stamp" -print -quit)" ]; then
  exit 0 # up to date
fi

protoc="$(command -v protoc || true)"
plugin="$(command -v grpc_python_plugin || true)"
if [ -z "$protoc" ] || [ -z "$plugin" ]; then
  echo "generate.sh: protoc and grpc_python_plugin are required:" >&2
  echo "  apt-get install -y protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf" >&2
  exit 1
fi
# google/protobuf/struct.proto and friends ship with protobuf-compiler (libprotobuf-dev on
# some systems) under /usr/include.
wkt_include="/usr/include"
if [ ! -f "$wkt_include/google/protobuf/struct.proto" ]; then
  echo "generate.sh: $wkt_include/google/protobuf/struct.proto not found (install protobuf-compiler)" >&2
  exit 1
fi

# Generate into a fresh directory and swap it in, so a concurrent run never sees half a tree.
tmp="$(mktemp -d "$here/.gen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$protoc" -I "$proto_root" -I "$wkt_include" \
  --python_out="$tmp" --pyi_out="$tmp" --grpc_out="$tmp" \
  --plugin=protoc-gen-grpc="$plugin" \
  "$proto_root"/trainingcore/v1/*.proto
touch "$tmp/.generated"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "generate.sh: generated Python stubs in $out" >&2
