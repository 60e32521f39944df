# mlprobe: build, demo and tests.  `make V=1` shows full commands.
# Everything the build produces lands in build/.
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

OUT      := build
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)
msg       = $(if $(filter 1,$(V)),,@printf '  %-8s %s\n' "$(1)" "$(2)";)

VERSION  := 0.1.0
BUILD_ID := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# SAN=1 builds user space and tests with AddressSanitizer + UBSan.
SAN      ?= 0
ifeq ($(SAN),1)
OUT      := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
endif

ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
CFLAGS   ?= -g -O2
# BASE_CFLAGS: what every C file of ours is built with.  The Parquet library
# (user/parquet/) gets only these plus its own folder: it stands alone.
BASE_CFLAGS := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(SANFLAGS) -MMD -MP
override CFLAGS := $(BASE_CFLAGS) -Iinclude -Ibpf -Iuser -I$(OUT)
PQ_CFLAGS := $(BASE_CFLAGS) -Iuser/parquet
LDFLAGS  += $(SANFLAGS)
LDLIBS   := -lbpf -lelf -lz -lsnappy -lm -lmicrohttpd -lncursesw -pthread

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -Ibpf -I$(OUT) -mcpu=v3 \
              -I/usr/include/$(shell $(CC) -dumpmachine)

# User space, in folders that follow the data path (README: Source layout):
# every stage goes into one static library that the binary and the unit
# tests link; the commands (user/cmd/) are the binary's own.
STAGES   := common parquet attach consume sinks store analysis session
CMD_SRCS := $(wildcard user/cmd/*.c)
LIB_SRCS := $(foreach s,$(STAGES),$(wildcard user/$(s)/*.c))
PQ_SRCS  := $(wildcard user/parquet/*.c)
LIB_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
CMD_OBJS := $(patsubst user/%.c,$(OUT)/obj/%.o,$(CMD_SRCS))
PQ_OBJS  := $(patsubst user/%.c,$(OUT)/obj/%.o,$(PQ_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
# The Parquet library's own tests build against it alone (libc and zlib).
PQ_UNITS := $(filter $(OUT)/tests/test_pq_% $(OUT)/tests/test_thrift,$(UNIT_BINS))
PROG_SRCS := $(wildcard tests/progs/*.c)
PROG_BINS := $(patsubst tests/progs/%.c,$(OUT)/progs/%,$(PROG_SRCS))
# execname: twice, without PIE, so two different literals share an address.
# bench_loop_nop5: the bench loop with the opt-in nop5 site.
PROG_BINS += $(OUT)/progs/execname2 $(OUT)/progs/bench_loop_nop5
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

# Header dependencies, as the compiler saw them (-MMD -MP).
-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(UNIT_BINS:=.d) $(TOOL_BINS:=.d)

.PHONY: FORCE all deps deps-no-torch demo test test-san unit e2e fuzz bench clean python \
	demo-python demo-torch
all: $(OUT)/mlprobe $(OUT)/examples/train $(PROG_BINS) $(TOOL_BINS)

deps:
	$(Q)scripts/deps.sh
# The demos of the C trainer and the numpy one need no PyTorch.
deps-no-torch:
	$(Q)scripts/deps.sh --no-torch

$(OUT)/vmlinux.h:
	$(call msg,BTF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUT)/%.bpf.o: bpf/%.bpf.c bpf/wire.h bpf/ubatch.bpf.h $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# The skeleton comes first: attach/tracer.c includes it (and then its .d
# file names it).
$(OUT)/obj/%.o: user/%.c | $(OUT)/mlprobe.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The version and build id, rewritten only when they change, so that the
# one object that holds them (common/version.c) is rebuilt then.
$(OUT)/build_id.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#define MLPROBE_VERSION "%s"\n#define MLPROBE_BUILD "%s"\n' \
		'$(VERSION)' '$(BUILD_ID)' >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(OUT)/obj/common/version.o: $(OUT)/build_id.h
FORCE:

$(OUT)/obj/parquet/%.o: user/parquet/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PQ_CFLAGS) -c $< -o $@

$(OUT)/libmlprobe.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUT)/libmpparquet.a: $(PQ_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUT)/mlprobe: $(CMD_OBJS) $(OUT)/libmlprobe.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The example trainer and the test programs use only the public header.
# -O2 keeps them honest: the probe sites are what users will ship.
$(OUT)/examples/%: examples/%.c include/mlprobe.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=c11 -g -O2 -Wall -Wextra -Werror -Iinclude $< -o $@ -lm -pthread

$(OUT)/progs/%: tests/progs/%.c include/mlprobe.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g -O2 -Wall -Wextra -Werror -Iinclude $< -o $@ -lm -pthread

$(OUT)/progs/execname $(OUT)/progs/execname2: tests/progs/execname.c include/mlprobe.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g -O2 -Wall -Wextra -Werror -Iinclude -no-pie -fno-pie \
		$(if $(filter %2,$@),-DNAME='"bravo"') $< -o $@ -pthread

# redzone tests the opt-in nop5 site shape; bench_loop_nop5 measures it.
$(OUT)/progs/redzone: tests/progs/redzone.c include/mlprobe.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g -O2 -Wall -Wextra -Werror -Iinclude -DMLPROBE_NOP5 $< -o $@
$(OUT)/progs/bench_loop_nop5: tests/progs/bench_loop.c include/mlprobe.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g -O2 -Wall -Wextra -Werror -Iinclude -DMLPROBE_NOP5 $< -o $@

# Test tools that talk to the kernel (not trainers): libbpf, no header.
$(OUT)/tools/%: tests/tools/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MF $@.d $(LDFLAGS) $< -lbpf -o $@

# The consumer's decode + Parquet path alone, for profiling (not a test).
$(OUT)/bench/%: tests/bench/%.c $(OUT)/libmlprobe.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MF $@.d $(LDFLAGS) $^ $(LDLIBS) -o $@

# Fixtures of `record --func` and test_elfsym.  Every tests/progs/*.c is a
# program of its own, so a second translation unit or a library source
# lives in tests/progs/lib/.  funcs_nopie is funcs as a non-PIE executable.
FUNCS_BINS := $(OUT)/progs/funcs_nopie $(OUT)/progs/funcs_dup \
	      $(OUT)/progs/libfxlib.so $(OUT)/progs/funcs_lib \
	      $(OUT)/progs/libprobed.so
FUNCS_CC   := $(CC) -std=gnu11 -g -O2 -Wall -Wextra -Werror -Iinclude
all: $(FUNCS_BINS)

$(OUT)/progs/funcs_nopie: tests/progs/funcs.c include/mlprobe.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUNCS_CC) -fno-pie -no-pie $< -o $@

$(OUT)/progs/funcs_dup: tests/progs/lib/funcs_dup_a.c tests/progs/lib/funcs_dup_b.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUNCS_CC) $^ -o $@

# A library with probes, for the dlopen-after-attach test (dlopener).
$(OUT)/progs/libprobed.so: tests/progs/lib/libprobed.c include/mlprobe.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUNCS_CC) -fPIC -shared $< -o $@

$(OUT)/progs/libfxlib.so: tests/progs/lib/libfxlib.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUNCS_CC) -fPIC -shared -Wl,-soname,libfxlib.so $< -o $@

$(OUT)/progs/funcs_lib: tests/progs/lib/funcs_lib.c include/mlprobe.h \
		$(OUT)/progs/libfxlib.so
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUNCS_CC) $< -o $@ -L$(@D) -lfxlib -Wl,-rpath,'$$ORIGIN'

$(OUT)/tests/%: tests/unit/%.c $(OUT)/libmlprobe.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MF $@.d $(LDFLAGS) $< $(OUT)/libmlprobe.a $(LDLIBS) -lcmocka -lm -o $@

$(PQ_UNITS): $(OUT)/tests/%: tests/unit/%.c $(OUT)/libmpparquet.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PQ_CFLAGS) -MF $@.d $(LDFLAGS) $< $(OUT)/libmpparquet.a -lz -lsnappy -lcmocka -lm -o $@

# libFuzzer targets: clang only, always with ASan + UBSan.  Each target
# compiles only the pure modules it needs (FUZZ_DEPS_<name>); a target
# without that list gets the library sources minus the BPF-bound ones.
PQ_DIR := user/parquet
FUZZ_DEPS_fuzz_pq_reader := $(PQ_DIR)/thrift.c $(PQ_DIR)/pq_reader.c \
			    $(PQ_DIR)/pq_meta.c $(PQ_DIR)/pq_decode.c
FUZZ_DEPS_fuzz_decoder := user/consume/decoder.c user/common/utf8.c
FUZZ_DEPS_fuzz_pq_recover := $(FUZZ_DEPS_fuzz_pq_reader) $(PQ_DIR)/pq_recover.c \
			     $(PQ_DIR)/pq_writer.c $(PQ_DIR)/pq_chunk.c $(PQ_DIR)/pq_encode.c \
			     $(PQ_DIR)/pq_compact.c
FUZZ_DEPS_fuzz_rules := user/sinks/rules.c
build/fuzz/%: tests/fuzz/%.c $(wildcard user/*/*.c) $(wildcard user/*/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -std=gnu11 -Iinclude -Ibpf -Iuser -I$(PQ_DIR) -Ibuild \
		-DMLPROBE_VERSION='"$(VERSION)"' -DMLPROBE_BUILD='"$(BUILD_ID)"' \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $< \
		$(FUZZ_DEPS_$*) -lz -lsnappy -o $@

# The Python package, for the interpreter that will run it: the C extension
# build/python/mlprobe/_core<EXT_SUFFIX> (the probes) beside the package's
# pure Python files; use it with PYTHONPATH=build/python.
# (`pip install ./python` builds the same through setuptools.)
PYTHON   ?= /usr/bin/python3
PY_SRCS  := $(wildcard python/*.c)
PY_FILES := $(patsubst python/%,build/python/%,$(wildcard python/mlprobe/*.py))
PY_EXT    = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
PY_INC    = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
PY_MOD    = build/python/mlprobe/_core$(PY_EXT)

python: $(PY_MOD) $(PY_FILES)

build/python/mlprobe/_core%: $(PY_SRCS) $(wildcard python/*.h) include/mlprobe.h
	$(call msg,PYEXT,$@)
	$(Q)test -f $(PY_INC)/Python.h || { echo "mlprobe: no Python.h for $(PYTHON) in $(PY_INC): install python3-dev (make deps)" >&2; exit 1; }
	$(Q)mkdir -p $(@D)
	$(Q)rm -f build/python/mlprobe.*.so	# the module before it was a package
	$(Q)$(CC) -std=gnu11 -g -O2 -Wall -Wextra -Werror -fPIC -shared -Iinclude \
		-isystem $(PY_INC) $(PY_SRCS) -o $@

build/python/mlprobe/%.py: python/mlprobe/%.py
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

unit: $(UNIT_BINS)
e2e: all python

demo: deps-no-torch
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all unit python
	$(Q)$(MAKE) --no-print-directory SAN=1 all unit
	$(Q)$(MAKE) --no-print-directory fuzz
	$(Q)scripts/run-tests.sh

fuzz: $(FUZZ_BINS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all python
	$(Q)scripts/bench.sh
	$(Q)scripts/bench-python.sh

demo-python: deps-no-torch
	$(Q)$(MAKE) --no-print-directory all python
	$(Q)scripts/demo-python.sh

demo-torch: deps
	$(Q)$(MAKE) --no-print-directory all python
	$(Q)scripts/demo-torch.sh

clean:
	rm -rf build runs
