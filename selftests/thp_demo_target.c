// SPDX-License-Identifier: GPL-2.0
/*
 * thp_demo_target FILE SIZE_MB - a process for the demo to work on.
 *
 * Maps FILE (on a huge=always tmpfs) MAP_SHARED at a PMD-aligned address,
 * fills it, prints "ADDR=0x..." and waits until it is killed, then checks
 * that the contents survived whatever was done to its page tables.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	size_t pmd = 2UL << 20, size, i;
	unsigned char *res, *p;
	int fd;

	if (argc != 3)
		return fprintf(stderr, "usage: %s FILE SIZE_MB\n", argv[0]), 2;
	size = strtoul(argv[2], NULL, 0) << 20;
	fd = open(argv[1], O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, size))
		return perror(argv[1]), 1;
	res = mmap(NULL, size + pmd, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return perror("mmap"), 1;
	p = (unsigned char *)(((uintptr_t)res + pmd - 1) & ~(pmd - 1));
	p = mmap(p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap file"), 1;
	for (i = 0; i < size; i++)
		p[i] = (unsigned char)(i / 4096 + i);
	signal(SIGTERM, on_term);
	printf("ADDR=%p\n", (void *)p);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < size; i++)
		if (p[i] != (unsigned char)(i / 4096 + i))
			return fprintf(stderr, "contents changed at %zu\n", i), 1;
	printf("contents intact\n");
	return 0;
}
