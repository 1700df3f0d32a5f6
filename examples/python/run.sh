#!/usr/bin/env bash
# Runs the Python next-activity plugin: generates the stubs if needed, then starts plugin.py.
#
#   CORE_ADDRESS  the core's gRPC address  (default 127.0.0.1:50051)
#   MODEL_DIR     where models are written (default ./models, relative to the current directory)
#   PLUGIN_KEY    the plugin key           (default plugin-python-next-activity)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
"$here/generate.sh"
# /usr/bin/python3 is Debian's Python, which has python3-grpcio and python3-protobuf; a python3
# earlier on PATH (pyenv, a venv) may not.
exec /usr/bin/python3 -u "$here/plugin.py"
