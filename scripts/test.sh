#!/usr/bin/env bash
# Runs chainrule's whole test suite, after setting up .venv (see scripts/setup.sh):
#     bash scripts/test.sh [--without-torch] [--without-browser] [pytest arguments...]
# e.g. `bash scripts/test.sh -k draw`. Exits with pytest's status; "no tests collected"
# (pytest's exit 5) counts as a failure.
set -euo pipefail
# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# The PyTorch version the float64 oracle tests compare against. On CI's machines pip takes this
# exact version as a CPU wheel from local disk; any other spec would fetch a multi-GB CUDA build.
TORCH_SPEC="torch==2.13.0"

with_torch=1
with_browser=1
pytest_args=()
for arg in "$@"; do
    case "$arg" in
        --with-torch) with_torch=1 ;;  # the default; kept so that older commands still work
        --without-torch) with_torch=0 ;;
        --with-browser) with_browser=1 ;;  # the default; kept so that older commands still work
        --without-browser) with_browser=0 ;;
        *) pytest_args+=("$arg") ;;
    esac
done

# The browser tests drive the explore page, the notebook's inline page and the studio in headless
# Chromium; they need Debian's chromium and chromium-driver and the `browser` extra (selenium).
# They are set up by default, and then a missing browser fails those tests instead of skipping
# them; --without-browser skips them, and pytest's -rs then lists them and why.
# The suite also runs every demo (--quick) and checks the benchmark's implementations agree,
# so it needs the demos and bench extras too.
extras="test,demos,bench"
if [ "$with_browser" -eq 1 ]; then
    cr_ensure_browser
    extras="test,demos,bench,browser"
    export CHAINRULE_REQUIRE_BROWSER=1
fi

chainrule_setup "$extras"

# torch is not a project dependency: only the oracle tests (results checked against PyTorch in
# float64) use it. It is installed by default so that the command the README gives runs them;
# --without-torch skips the download, and then pytest's -rs lists every skipped test and why.
if [ "$with_torch" -eq 1 ]; then
    have_torch="$("$CR_PY" -c 'import importlib.metadata as m; print(m.version("torch"))' \
        2>/dev/null || true)"
    # Compare without the local version label: the CPU wheel calls itself "2.13.0+cpu".
    if [ "${have_torch%%+*}" = "${TORCH_SPEC#torch==}" ]; then
        cr_step "PyTorch: $have_torch (for the oracle tests)"
    else
        cr_step "PyTorch: installing $TORCH_SPEC into .venv (for the oracle tests)"
        "$CR_PY" -m pip install -q "$TORCH_SPEC" || cr_die "pip could not install $TORCH_SPEC; \
run with --without-torch to test without it (the PyTorch comparisons are then skipped)."
    fi
else
    cr_step "PyTorch: not installed (--without-torch): the comparisons with PyTorch are skipped"
    pytest_args=(-rs ${pytest_args[@]+"${pytest_args[@]}"})
fi

if [ "$with_browser" -eq 0 ]; then
    cr_step "Browser: not set up (--without-browser): the browser tests are skipped"
    case " ${pytest_args[*]-} " in
        *" -rs "*) ;;
        *) pytest_args=(-rs ${pytest_args[@]+"${pytest_args[@]}"}) ;;
    esac
fi

cr_step "Tests: python -m pytest$(cr_quoted ${pytest_args[@]+"${pytest_args[@]}"})"
status=0
"$CR_PY" -m pytest ${pytest_args[@]+"${pytest_args[@]}"} || status=$?
if [ "$status" -eq 5 ]; then
    cr_die "pytest collected no tests (exit 5); treating that as a failure."
fi
exit "$status"
