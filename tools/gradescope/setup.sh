#!/usr/bin/env bash
# Gradescope's setup.sh: run once, as root, when Gradescope builds the
# autograder's image (Ubuntu). It installs what grading uses (no more:
# valgrind and the sanitizers are for make check, not for the grade),
# fetches the pinned bats and builds the course's test helpers, so that
# grading a submission needs no network; and it makes np-student, the
# user the submission runs as (run_autograder).
set -euo pipefail
# The tests and tools need bash 5.1 (wait -p, EPOCHREALTIME, ...).
if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 501)); then
	echo "setup.sh: bash $BASH_VERSION is too old: the course needs 5.1 or later (Ubuntu 22.04 or later)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# make, gcc: the build; curl, ca-certificates: make deps fetches bats, and
# lesson 01's tests are also a curl client; libnss-wrapper: lesson 02's
# name lookups; procps (pgrep, pkill), util-linux (setpriv, prlimit,
# flock), bsdutils (script): the harness.
apt-get install -y -qq --no-install-recommends make gcc libc6-dev curl \
	ca-certificates libnss-wrapper procps util-linux bsdutils >/dev/null
id -u np-student >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin np-student
cd "$(dirname "$0")/netprog"
make deps
make -s helpers
