// SPDX-License-Identifier: MIT
/*
 * test_usdt_notes.c - unit tests of user/attach/usdt_notes.c.
 *
 * Reads $MLPROBE_BUILD/progs/abi (default build/progs/abi, from `make all`),
 * which has exactly one site of each mlprobe probe, and damaged copies of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <gelf.h>
#include "attach/usdt_notes.h"

static char abi_path[PATH_MAX];

/* The five probes, then the batch probe (record --batch). */
#define NPROBES 6
static const char *const probe_names[NPROBES] = {
	"metric", "span_begin", "span_end", "log", "step", "batch",
};
/* The signs of each probe's arguments, one char per argument: 'u' for
 * "8@", 's' for "-8@" (include/mlprobe.h's ABI). */
static const char *const probe_signs[NPROBES] = { "usu", "u", "u", "su", "s",
						  "uuu" };

static int probe_index(const char *name)
{
	for (int i = 0; i < NPROBES; i++)
		if (!strcmp(name, probe_names[i]))
			return i;
	return -1;
}

/* Checks that args is a list of 8-byte register operands with the signs
 * given, e.g. "8@%rdi -8@%rax 8@%rdx" for "usu". */
static void assert_arg_shape(const char *args, const char *signs)
{
	regex_t re;
	char buf[128], *save = NULL, *tok;
	size_t n = 0;

	assert_int_equal(regcomp(&re, "^(-?)8@%[a-z][a-z0-9]*$", REG_EXTENDED), 0);
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		regmatch_t m[2];

		assert_true(n < strlen(signs));
		assert_int_equal(regexec(&re, tok, 2, m, 0), 0);
		assert_int_equal(m[1].rm_eo - m[1].rm_so, signs[n] == 's');
		n++;
	}
	assert_int_equal(n, strlen(signs));
	regfree(&re);
}

/* The byte at link-time address pc of the ELF file at path, or -1. */
static int byte_at(const char *path, uint64_t pc)
{
	int fd = open(path, O_RDONLY), ret = -1;
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	while ((scn = elf_nextscn(elf, scn))) {
		unsigned char c;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    pc < sh.sh_addr || pc >= sh.sh_addr + sh.sh_size)
			continue;
		if (pread(fd, &c, 1, sh.sh_offset + (pc - sh.sh_addr)) == 1)
			ret = c;
		break;
	}
	elf_end(elf);
	close(fd);
	return ret;
}

/* The six sites of abi, one per probe, with the header's ABI. */
static void assert_abi_sites(const struct usdt_file *f)
{
	int seen[NPROBES] = { 0 };
	int batch = probe_index("batch");

	assert_int_equal(f->nsites, NPROBES);
	assert_non_null(f->sites);
	for (int i = 0; i < f->nsites; i++) {
		const struct usdt_site *s = &f->sites[i];
		int p = probe_index(s->name);

		assert_string_equal(s->provider, "mlprobe");
		assert_true(p >= 0);
		seen[p]++;
		assert_arg_shape(s->args, probe_signs[p]);
		assert_true(s->pc != 0);
		/* One semaphore for the five probes of the file; the batch
		 * probe has its own. */
		assert_true(s->sema_addr != 0);
		for (int j = 0; j < i; j++)
			assert_true((s->sema_addr == f->sites[j].sema_addr) ==
				    ((p == batch) == (probe_index(f->sites[j].name) == batch)));
		for (int j = 0; j < i; j++)
			assert_true(s->pc != f->sites[j].pc);
	}
	for (int p = 0; p < NPROBES; p++)
		assert_int_equal(seen[p], 1);
}

static void test_read_abi(void **state)
{
	struct usdt_file f;
	char err[256] = "";

	(void)state;
	assert_int_equal(usdt_file__read(abi_path, "mlprobe", &f, err,
					 sizeof(err)), 0);
	assert_string_equal(f.path, abi_path);
	assert_string_equal(f.display, abi_path);
	assert_abi_sites(&f);
#ifdef __x86_64__
	/* pc is where the probe is: the header's one-byte nop. */
	for (int i = 0; i < f.nsites; i++)
		assert_int_equal(byte_at(abi_path, f.sites[i].pc), 0x90);
#endif
	usdt_file__free(&f);
	assert_null(f.sites);
	assert_int_equal(f.nsites, 0);
	usdt_file__free(&f);	/* twice is fine */

	/* NULL is every provider: abi has only mlprobe's. */
	assert_int_equal(usdt_file__read(abi_path, NULL, &f, err, sizeof(err)), 0);
	assert_abi_sites(&f);
	usdt_file__free(&f);

	/* Another provider: an ELF file without such probes. */
	assert_int_equal(usdt_file__read(abi_path, "libc", &f, err, sizeof(err)), 0);
	assert_int_equal(f.nsites, 0);
	usdt_file__free(&f);
}

static void test_missing_file(void **state)
{
	struct usdt_file f;
	char err[256] = "";

	(void)state;
	assert_int_equal(usdt_file__read("/nonexistent/abi", "mlprobe", &f, err,
					 sizeof(err)), -ENOENT);
	assert_string_equal(err, "no such file");
	assert_int_equal(f.nsites, 0);
	assert_null(f.sites);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void test_not_elf(void **state)
{
	char path[] = "/tmp/mlprobe-test-notelf-XXXXXX";
	struct usdt_file f;
	char err[256] = "";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "#!/bin/sh\necho not an ELF file\n", 31);
	assert_int_equal(usdt_file__read(path, "mlprobe", &f, err, sizeof(err)),
			 -ENOEXEC);
	assert_non_null(strstr(err, "not an ELF"));
	/* An ELF magic alone is not an ELF file either. */
	write_file(path, "\177ELF", 4);
	assert_int_equal(usdt_file__read(path, "mlprobe", &f, err, sizeof(err)),
			 -ENOEXEC);
	write_file(path, "", 0);
	assert_int_equal(usdt_file__read(path, "mlprobe", &f, err, sizeof(err)),
			 -ENOEXEC);
	unlink(path);

	assert_int_equal(usdt_file__read("/tmp", "mlprobe", &f, err, sizeof(err)),
			 -ENOEXEC);
	assert_null(f.sites);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*len = st.st_size;
	return buf;
}

/* Whatever libelf and the note parser make of a damaged file: an error or
 * at most the real number of sites, terminated strings, never a crash (ASan
 * runs this too).  `cut_only`: bytes were cut, not changed, so any site
 * found is a real one. */
static void assert_damaged_ok(const char *path, bool cut_only, int *nerr,
			      int *nfull)
{
	struct usdt_file f;
	char err[256];
	int ret = usdt_file__read(path, NULL, &f, err, sizeof(err));

	if (ret) {
		assert_true(ret < 0);
		assert_true(strlen(err) > 0);
		assert_null(f.sites);
		(*nerr)++;
		return;
	}
	assert_true(f.nsites <= NPROBES);
	for (int i = 0; i < f.nsites; i++) {
		const struct usdt_site *st = &f.sites[i];

		assert_true(strnlen(st->provider, sizeof(st->provider)) <
			    sizeof(st->provider));
		assert_true(strnlen(st->name, sizeof(st->name)) < sizeof(st->name));
		assert_true(strnlen(st->args, sizeof(st->args)) < sizeof(st->args));
		if (cut_only) {
			assert_string_equal(st->provider, "mlprobe");
			assert_true(probe_index(st->name) >= 0);
		}
	}
	*nfull += f.nsites == NPROBES;
	usdt_file__free(&f);
}

static void test_truncated(void **state)
{
	char path[] = "/tmp/mlprobe-test-trunc-XXXXXX";
	size_t len;
	unsigned char *buf = slurp(abi_path, &len);
	int fd = mkstemp(path), nerr = 0, nfull = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* Every length near the start (headers), then a stride through the
	 * rest; the notes sit near the end, so the last 1 KiB byte by byte. */
	for (size_t cut = 0; cut < len; cut += cut < 256 || cut > len - 1024 ? 1 : 61) {
		write_file(path, buf, cut);
		assert_damaged_ok(path, true, &nerr, &nfull);
	}
	/* The section headers are at the end: most cuts must be errors. */
	assert_true(nerr > 0);
	write_file(path, buf, len);
	nfull = 0;
	assert_damaged_ok(path, true, &nerr, &nfull);
	assert_int_equal(nfull, 1);
	unlink(path);
	free(buf);
}

/* Corrupt the note section itself: every byte of it in turn set to 0xff,
 * which makes sizes huge and strings unterminated. */
static void test_corrupt_notes(void **state)
{
	char path[] = "/tmp/mlprobe-test-corrupt-XXXXXX";
	size_t len, off = 0, size = 0, shstrndx;
	unsigned char *buf = slurp(abi_path, &len);
	int fd = mkstemp(path), nerr = 0, nfull = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;

	(void)state;
	assert_true(fd >= 0);
	elf = elf_memory((char *)buf, len);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		assert_non_null(gelf_getshdr(scn, &sh));
		if (!strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".note.stapsdt")) {
			off = sh.sh_offset;
			size = sh.sh_size;
		}
	}
	elf_end(elf);
	close(fd);
	assert_true(size > 0 && off + size <= len);
	for (size_t i = 0; i < size; i++) {
		unsigned char saved = buf[off + i];

		buf[off + i] = 0xff;
		write_file(path, buf, len);
		assert_damaged_ok(path, false, &nerr, &nfull);
		buf[off + i] = saved;
	}
	/* Damaged headers and descriptors (not just string bytes) were
	 * noticed: some copies gave an error or lost sites. */
	assert_true(nfull < (int)size);
	unlink(path);
	free(buf);
}

static void test_scan_self(void **state)
{
	struct usdt_file *files = (void *)1;
	char err[256] = "";

	(void)state;
	/* The test binary has no mlprobe probes, nor do its libraries. */
	assert_int_equal(usdt_proc__scan(getpid(), "mlprobe", &files, err,
					 sizeof(err)), 0);
	assert_null(files);
	assert_int_equal(usdt_proc__scan(INT_MAX, "mlprobe", &files, err,
					 sizeof(err)), -ESRCH);
	assert_null(files);
	assert_non_null(strstr(err, "no process"));
	assert_int_equal(usdt_proc__scan(0, "mlprobe", &files, err, sizeof(err)),
			 -ESRCH);
}

/* A running abi --loop: found through /proc/PID/exe, shown by its path. */
static void test_scan_child(void **state)
{
	struct usdt_file *files = NULL;
	char err[256] = "", exe[64], link[PATH_MAX], real[PATH_MAX];
	int n = -1, status;
	pid_t pid;

	(void)state;
	assert_non_null(realpath(abi_path, real));
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl(abi_path, abi_path, "--loop", (char *)NULL);
		_exit(127);
	}
	/* Wait for the exec. */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	for (int i = 0; i < 500; i++) {
		ssize_t l = readlink(exe, link, sizeof(link) - 1);

		if (l > 0) {
			link[l] = '\0';
			if (!strcmp(link, real))
				break;
		}
		usleep(10000);
	}
	n = usdt_proc__scan(pid, "mlprobe", &files, err, sizeof(err));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);

	assert_int_equal(n, 1);
	assert_string_equal(files[0].path, exe);
	assert_string_equal(files[0].display, real);
	assert_abi_sites(&files[0]);
	usdt_file__free(&files[0]);
	free(files);
}

int main(void)
{
	const char *b = getenv("MLPROBE_BUILD");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_abi),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt_notes),
		cmocka_unit_test(test_scan_self),
		cmocka_unit_test(test_scan_child),
	};

	snprintf(abi_path, sizeof(abi_path), "%s/progs/abi", b ? b : "build");
	if (access(abi_path, R_OK)) {
		fprintf(stderr, "%s: missing; run make all first\n", abi_path);
		return 1;
	}
	elf_version(EV_CURRENT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
