# shellcheck shell=bash
# Shared set-up for scripts/demo.sh and scripts/test.sh. Source it, then call
#     chainrule_setup EXTRAS
# (EXTRAS: the pyproject extras to install, e.g. "test" or "demos"). When it returns, the
# current directory is the repository root and CR_PY is the virtual environment's python.
#
# Steps, each announced on one line:
#   1. find python3 >= 3.10                    (CHAINRULE_PYTHON=/path/to/python overrides)
#   2. check the virtual environment .venv; if it is absent or broken, make sure Python can
#      create one (Debian/Ubuntu need the python3-venv package for ensurepip)
#   3. make sure Graphviz's `dot` is on PATH
#   4. create .venv if needed
#   5. install the project editable with the extras, unless a stamp says nothing changed
# System packages (python3-venv, graphviz) are installed with apt-get only when running as root
# or when `sudo -n` works; otherwise the script prints the one command to run and exits 1.
# CHAINRULE_NO_AUTO_INSTALL=1 forces that second behaviour (used by tests/test_scripts.py).
#
# Written for bash 3.2 and later (macOS ships 3.2): no associative arrays, no mapfile.

CR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CR_VENV="$CR_ROOT/.venv"
CR_PY="$CR_VENV/bin/python"
CR_MIN_PYTHON="3.10"

# pip: no prompts (CI has no stdin), no "new pip available" notice.
export PIP_NO_INPUT=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

cr_step() {
    printf '==> %s\n' "$*"
}

# Each argument as " " plus its shell-quoted form (nothing for no arguments), for messages.
cr_quoted() {
    local arg
    for arg in "$@"; do
        printf ' %q' "$arg"
    done
}

cr_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Succeeds when this script may install system packages itself: apt-get exists, automatic
# installs are not switched off, and we are root or sudo works without a password.
# Sets CR_SUDO to the prefix to run apt-get with ("" or "sudo -n").
cr_can_install_system() {
    CR_SUDO=""
    if [ "${CHAINRULE_NO_AUTO_INSTALL:-}" = "1" ]; then
        return 1
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$(id -u)" -eq 0 ]; then
        return 0
    fi
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
        CR_SUDO="sudo -n"
        return 0
    fi
    return 1
}

# apt-get update + install, quietly; the full log is shown only when it fails.
cr_apt_install() {
    local log
    log="$(mktemp "${TMPDIR:-/tmp}/chainrule-apt.XXXXXX")"
    # shellcheck disable=SC2086  # CR_SUDO is empty or "sudo -n": word splitting wanted
    if $CR_SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
        $CR_SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$log" 2>&1; then
        rm -f -- "$log"
        return 0
    fi
    cat -- "$log" >&2
    rm -f -- "$log"
    return 1
}

# Prints "MAJOR.MINOR.MICRO" for the given python, or fails.
cr_python_version() {
    "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null
}

# Succeeds when version $1 (X.Y[.Z]) is at least $CR_MIN_PYTHON.
cr_version_ok() {
    local major minor rest
    major="${1%%.*}"
    rest="${1#*.}"
    minor="${rest%%.*}"
    case "$major$minor" in
        '' | *[!0-9]*) return 1 ;;
    esac
    [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge "${CR_MIN_PYTHON#3.}" ]; }
}

# Step 1. Sets CR_BASE_PY (the interpreter that creates .venv) and CR_BASE_VERSION.
cr_find_python() {
    local cand path version found_old=""
    if [ -n "${CHAINRULE_PYTHON:-}" ]; then
        path="$(command -v "$CHAINRULE_PYTHON" 2>/dev/null)" ||
            cr_die "CHAINRULE_PYTHON=$CHAINRULE_PYTHON is not an executable."
        version="$(cr_python_version "$path")" ||
            cr_die "CHAINRULE_PYTHON=$CHAINRULE_PYTHON does not run as a Python interpreter."
        cr_version_ok "$version" ||
            cr_die "chainrule needs Python $CR_MIN_PYTHON or newer;" \
                "CHAINRULE_PYTHON=$CHAINRULE_PYTHON is $version."
        CR_BASE_PY="$path"
        CR_BASE_VERSION="$version"
        cr_step "Python: $CR_BASE_PY ($CR_BASE_VERSION, from CHAINRULE_PYTHON)"
        return 0
    fi
    # python3 first (whatever the user's PATH prefers), then versioned names, for systems whose
    # python3 is older but which have a newer one installed beside it.
    for cand in python3 python3.14 python3.13 python3.12 python3.11 python3.10; do
        path="$(command -v "$cand" 2>/dev/null)" || continue
        version="$(cr_python_version "$path")" || continue
        if cr_version_ok "$version"; then
            CR_BASE_PY="$path"
            CR_BASE_VERSION="$version"
            cr_step "Python: $CR_BASE_PY ($CR_BASE_VERSION)"
            return 0
        fi
        found_old="$found_old $cand $version;"
    done
    if [ -n "$found_old" ]; then
        cr_die "chainrule needs Python $CR_MIN_PYTHON or newer; found only:${found_old%;}." \
            "Install a newer Python (Debian 12 and Ubuntu 22.04 or later ship one as python3)," \
            "or set CHAINRULE_PYTHON=/path/to/python3.X."
    fi
    cr_die "python3 was not found on PATH. chainrule needs Python $CR_MIN_PYTHON or newer:" \
        "run \`sudo apt-get install python3 python3-venv\` (Debian/Ubuntu)."
}

# Succeeds when .venv exists, runs, is new enough and has pip.
cr_venv_healthy() {
    [ -x "$CR_PY" ] || return 1
    "$CR_PY" -c 'import sys, pip; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1
}

# Step 2, needed only when .venv must be (re)created: can the base Python make a venv with pip?
# Debian and Ubuntu move ensurepip out of the python3 package into python3-venv (versioned
# python3.X-venv, which is what python3-venv depends on), so `python3 -m venv` fails without it.
cr_ensure_venv_support() {
    local minor_version pkg
    if "$CR_BASE_PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        cr_step "Python venv support: available"
        return 0
    fi
    minor_version="${CR_BASE_VERSION%.*}"
    pkg="python$minor_version-venv"
    if ! command -v apt-get >/dev/null 2>&1; then
        cr_die "$CR_BASE_PY cannot create virtual environments (its ensurepip module is" \
            "missing). Install a Python that has it, or set CHAINRULE_PYTHON to one."
    fi
    if cr_can_install_system; then
        cr_step "Python venv support: missing; installing $pkg with apt-get"
        # The versioned package exists for every python3.X Debian and Ubuntu ship (it is what
        # python3-venv depends on); fall back to python3-venv should a release lack it.
        cr_apt_install "$pkg" || cr_apt_install python3-venv ||
            cr_die "apt-get could not install $pkg (nor python3-venv); see its output above."
        "$CR_BASE_PY" -c 'import ensurepip, venv' >/dev/null 2>&1 ||
            cr_die "installed $pkg, but $CR_BASE_PY still has no ensurepip module."
        return 0
    fi
    cr_die "Python's venv support is missing (no ensurepip in $CR_BASE_PY):" \
        "run \`sudo apt-get install $pkg\`, then run this command again."
}

# Step 3.
cr_ensure_dot() {
    local dot
    if dot="$(command -v dot 2>/dev/null)"; then
        cr_step "Graphviz: $dot"
        return 0
    fi
    if cr_can_install_system; then
        cr_step "Graphviz: dot is missing; installing graphviz with apt-get"
        cr_apt_install graphviz || cr_die "apt-get could not install graphviz; see its output above."
        hash -r
        dot="$(command -v dot 2>/dev/null)" ||
            cr_die "installed graphviz, but dot is still not on PATH ($PATH)."
        cr_step "Graphviz: $dot"
        return 0
    fi
    printf '%s\n' \
        "error: Graphviz's dot is missing: run \`sudo apt-get install graphviz\`" \
        "       (macOS: \`brew install graphviz\`; conda: \`conda install -c conda-forge graphviz\`)," \
        "       then run this command again." >&2
    exit 1
}

# Headless Chromium and its WebDriver, for the tests that drive autograd.explore's page in a real
# browser (scripts/test.sh sets them up unless given --without-browser). Debian's packages, never a browser
# downloaded by a test tool.
cr_ensure_browser() {
    local chromium driver
    if chromium="$(command -v chromium 2>/dev/null)" &&
        driver="$(command -v chromedriver 2>/dev/null)"; then
        cr_step "Browser: $chromium with $driver (for the browser tests)"
        return 0
    fi
    if cr_can_install_system; then
        cr_step "Browser: installing chromium and chromium-driver with apt-get (for the browser tests)"
        cr_apt_install chromium chromium-driver ||
            cr_die "apt-get could not install chromium and chromium-driver; see its output above."
        hash -r
        chromium="$(command -v chromium 2>/dev/null)" &&
            driver="$(command -v chromedriver 2>/dev/null)" ||
            cr_die "installed chromium-driver, but chromium or chromedriver is not on PATH ($PATH)."
        cr_step "Browser: $chromium with $driver"
        return 0
    fi
    printf '%s\n' \
        "error: the browser tests need Chromium and its driver: run" \
        "       \`sudo apt-get install chromium chromium-driver\`, then run this command again" \
        "       (or run with --without-browser to skip those tests)." >&2
    exit 1
}

# Step 4.
cr_ensure_venv() {
    local out
    if [ -e "$CR_VENV" ]; then
        cr_step "Virtual environment: $CR_VENV is broken (no working python with pip); recreating"
        rm -rf -- "${CR_VENV:?}"
    else
        cr_step "Virtual environment: creating $CR_VENV"
    fi
    if ! out="$("$CR_BASE_PY" -m venv "$CR_VENV" 2>&1)"; then
        printf '%s\n' "$out" >&2
        rm -rf -- "${CR_VENV:?}"
        cr_die "\`$CR_BASE_PY -m venv $CR_VENV\` failed (its output is above)."
    fi
    cr_venv_healthy || cr_die "created $CR_VENV, but its python cannot import pip."
}

# Step 5. Installs the project editable with the given extras (comma-separated), unless the
# stamp in .venv shows the same pyproject.toml, extras and checkout location were installed.
cr_install_project() {
    local extras="$1" stamp want have=""
    stamp="$CR_VENV/.chainrule-installed-${extras//,/-}"
    want="$("$CR_PY" - "$CR_ROOT" "$extras" <<'EOF'
import hashlib, pathlib, sys
root, extras = sys.argv[1], sys.argv[2]
data = pathlib.Path(root, "pyproject.toml").read_bytes()
print(hashlib.sha256(data + b"\0" + extras.encode() + b"\0" + root.encode()).hexdigest())
EOF
)" || cr_die "could not read $CR_ROOT/pyproject.toml"
    if [ -f "$stamp" ]; then
        have="$(cat -- "$stamp")"
    fi
    if [ "$have" = "$want" ]; then
        cr_step "Packages: chainrule[$extras] up to date (pyproject.toml unchanged)"
        return 0
    fi
    cr_step "Packages: installing chainrule[$extras] (editable) into .venv with pip"
    rm -f -- "$stamp"
    "$CR_PY" -m pip install -q -e "${CR_ROOT}[${extras}]" ||
        cr_die "pip could not install chainrule[$extras]; see its output above."
    printf '%s\n' "$want" >"$stamp"
}

# Everything, in order. $1: extras to install.
chainrule_setup() {
    cd "$CR_ROOT" || cr_die "cannot cd to $CR_ROOT"
    cr_find_python
    local venv_ok=1
    if cr_venv_healthy; then
        cr_step "Virtual environment: $CR_VENV"
    else
        venv_ok=0
        cr_ensure_venv_support
    fi
    cr_ensure_dot
    if [ "$venv_ok" -eq 0 ]; then
        cr_ensure_venv
    fi
    cr_install_project "$1"
}
