# demo-lib.sh - what the Python demos share (demo-python.sh, demo-torch.sh);
# source it.  It goes to the checkout's root, points Python at the package
# that `make python` built, and refuses to go on without root.
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH=$PWD/build/python
demo=$(basename "$0" .sh)
if [ "$(id -u)" != 0 ]; then
	echo "mlprobe $demo: recording needs root (BPF, uprobes): run 'sudo make $demo'" >&2
	exit 1
fi
