#!/usr/bin/env bash
# deps.sh - install what mlprobe needs on a Debian 12 machine, and only what
# is missing.  Idempotent and quiet when everything is there.
#   scripts/deps.sh            everything: the build, the tests, make bench
#   scripts/deps.sh --no-torch all but PyTorch (make demo, make demo-python)
set -euo pipefail
torch=1
case "${1:-}" in
--no-torch) torch=0 ;;
"") ;;
*) echo "usage: scripts/deps.sh [--no-torch]" >&2; exit 2 ;;
esac

pkgs=(make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
      libsnappy-dev			# the reader's SNAPPY codec (DuckDB's default)
      libcmocka-dev pkg-config bpftrace libclang-rt-14-dev binutils strace
      valgrind time chromium chromium-driver	# time: RSS in make bench; Chromium: the report test renders the page
      python3 python3-dev python3-setuptools python3-pip python3-numpy	# the Python module
      libmicrohttpd-dev libncurses-dev	# --prometheus, top
      prometheus tmux curl		# the tests of --prometheus and top
      locales)			# test_top builds de_DE (decimal comma) with localedef
# PyTorch (1.13 in Debian 12): the tests of mlprobe.torch, .tensorboard and
# .wandb, make bench and make demo-torch run a real torch trainer.
[ "$torch" = 1 ] && pkgs+=(python3-torch)
need_node=0
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need_node=1
[ "$need_node" = 1 ] && pkgs+=(nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "mlprobe: missing packages: ${missing[*]}; run as root (or sudo apt-get install ${missing[*]})" >&2
		exit 1
	fi
	echo "mlprobe: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# DuckDB (an independent Parquet reader) for the tests and the demo's query.
"$(dirname "$0")/duckdb-setup.sh"
