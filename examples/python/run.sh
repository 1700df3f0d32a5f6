#!/usr/bin/env bash
# Runs a Python example plugin on the SDK (sdk/python: used from this repository unless the
# package trainingcore is installed).
#
#   run.sh [next-activity]   the next-activity plugin (plugin.py)
#   run.sh alarm             the alarm plugin (alarm.py; needs python3-sklearn)
#
#   CORE_ADDRESS  the core's gRPC address  (default 127.0.0.1:50051)
#   MODEL_DIR     where models are written (default ./models, relative to the current directory)
#   PLUGIN_KEY    the plugin key           (default plugin-python-next-activity or
#                                           plugin-python-alarm)
#   PLUGIN_TOKEN  a plugin token, when the core requires tokens
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
case "${1:-next-activity}" in
  next-activity) script=plugin.py ;;
  alarm)
    script=alarm.py
    if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
      echo "run.sh: the alarm plugin needs scikit-learn: apt-get install -y python3-sklearn" >&2
      exit 1
    fi
    ;;
  *)
    echo "run.sh: unknown plugin '$1' (next-activity or alarm)" >&2
    exit 2
    ;;
esac
# /usr/bin/python3 is Debian's Python, which has python3-grpcio and python3-protobuf; a python3
# earlier on PATH (pyenv, a venv) may not.
exec /usr/bin/python3 -u "$here/$script"
