#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6 needs it), or explain what is missing.
set -euo pipefail
candidates=(python3.14 python3.13 python3.12 python3)
for name in "${candidates[@]}"; do
  if path=$(command -v "$name" 2>/dev/null) && "$path" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
# pyenv keeps versions that are installed but not selected.
for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
  if [ -x "$path" ] && "$path" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
echo "ForgeryBench needs Python 3.12 or newer (Django 6); none was found. Install python3.12 and retry." >&2
exit 1
