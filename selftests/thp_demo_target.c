// SPDX-License-Identifier: GPL-2.0
/*
 * thp_demo_target FILE SIZE_MB - a process for the demo to work on.
 *
 * Maps FILE (on a huge=always tmpfs) MAP_SHARED at a PMD-aligned address
 * (the PMD size from hpage_pmd_size: 2 MiB with 4 KiB pages, 32 MiB with
 * 16 KiB), fills it, prints "ADDR=0x..." and waits until it is killed, then
 * checks that the contents survived whatever was done to its page tables.
 */
#include "thp_retry_util.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/* The byte at offset @i: differs from one page to the next, too. */
static unsigned char pattern(size_t i, size_t ps)
{
	return (unsigned char)(i / ps + i);
}

int main(int argc, char **argv)
{
	size_t ps = sysconf(_SC_PAGESIZE), size, i;
	long pmd = thp_pmd_size();
	unsigned char *p;
	int fd;

	if (argc != 3)
		return fprintf(stderr, "usage: %s FILE SIZE_MB\n", argv[0]), 2;
	if (pmd <= 0)
		return fprintf(stderr, "%s: cannot read hpage_pmd_size\n", argv[0]), 1;
	size = strtoul(argv[2], NULL, 0) * THP_MIB;
	fd = open(argv[1], O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, size))
		return perror(argv[1]), 1;
	p = thp_map_aligned(size, pmd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap file"), 1;
	for (i = 0; i < size; i++)
		p[i] = pattern(i, ps);
	signal(SIGTERM, on_term);
	printf("ADDR=%p\n", (void *)p);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < size; i++)
		if (p[i] != pattern(i, ps))
			return fprintf(stderr, "contents changed at %zu\n", i), 1;
	printf("contents intact\n");
	return 0;
}
