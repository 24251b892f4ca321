#!/usr/bin/env bash
# Runs chainrule's main demo, after setting up .venv (see scripts/setup.sh):
#     bash scripts/demo.sh [demo arguments...]        (`bash scripts/demo.sh --help` for them)
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

DEMO_MODULE="demos.moons"

chainrule_setup demos
cr_step "Demo: python -m $DEMO_MODULE$(cr_quoted "$@")"
exec "$CR_PY" -m "$DEMO_MODULE" "$@"
