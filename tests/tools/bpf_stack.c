// SPDX-License-Identifier: MIT
/*
 * bpf_stack PID: for every BPF program PID holds open, prints its name and
 * where its stack lives: "kernel" (the task's own stack) or "private" (a
 * per-CPU area, which kernels 6.13+ give programs whose frame reaches 64
 * bytes).  A uprobe program can be preempted, so a per-CPU stack is shared
 * by every thread that runs it on that CPU; test_preempt requires "kernel"
 * for every program of `mlprobe record`.
 *
 * The x86-64 JIT loads the private stack's base into r9 with
 *	add %gs:<this_cpu_off>, %r9	(65 4c 03 0c 25 <disp32>)
 * the sequence the kernel's own selftests match (verifier_private_stack.c).
 * Exit: 0 all kernel, 1 some private, 2 error.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static const unsigned char priv_base[] = { 0x65, 0x4c, 0x03, 0x0c, 0x25 };

static int prog_ids(int pid, unsigned *ids, int max)
{
	char path[64], line[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%.20s", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &ids[n]) == 1) {
				n++;
				break;
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

static int check(unsigned id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), size;
	unsigned char *code;
	int fd, priv = 0;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "bpf_stack: program %u: %m\n", id);
		return -1;
	}
	size = info.jited_prog_len;
	code = malloc(size ? size : 1);
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = size;
	info.jited_prog_insns = (__u64)(unsigned long)code;
	len = sizeof(info);
	if (!code || bpf_obj_get_info_by_fd(fd, &info, &len) || !size) {
		fprintf(stderr, "bpf_stack: program %u: no JIT image\n", id);
		free(code);
		close(fd);
		return -1;
	}
	for (__u32 i = 0; i + sizeof(priv_base) <= size; i++)
		if (!memcmp(code + i, priv_base, sizeof(priv_base)))
			priv = 1;
	printf("%s %s\n", info.name, priv ? "private" : "kernel");
	free(code);
	close(fd);
	return priv;
}

int main(int argc, char **argv)
{
	unsigned ids[256];
	int n, ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: bpf_stack PID\n");
		return 2;
	}
	n = prog_ids(atoi(argv[1]), ids, 256);
	if (n <= 0) {
		fprintf(stderr, "bpf_stack: PID %s holds no BPF program\n", argv[1]);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		int r = check(ids[i]);

		if (r < 0)
			return 2;
		ret |= r;
	}
	return ret;
}
