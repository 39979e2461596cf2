// SPDX-License-Identifier: GPL-2.0
/*
 * thp_demo_target FILE SIZE_MB - a process for the demo to work on.
 *
 * Maps FILE (on a huge=always tmpfs) MAP_SHARED at a PMD-aligned address
 * (the PMD size from hpage_pmd_size: 2 MiB with 4 KiB pages, 32 MiB with
 * 16 KiB), fills it, prints "ADDR=0x..." and waits until it is killed, then
 * checks that the contents survived whatever was done to its page tables.
 *
 * thp_demo_target --churn SIZE_MB - the same with anonymous THP memory
 * (MADV_HUGEPAGE); it also prints "HEADS=" and the head PFN of every PMD
 * range, and on SIGUSR1 churns: a sub-range of every PMD range
 * mprotect()ed read-only and back, and written, which leaves the range
 * mapped by PTEs; then it prints "CHURNED" and the head PFNs again. On
 * SIGUSR2 it prints "HEADS=" again.
 */
#include "thp_retry_util.h"

static volatile sig_atomic_t stop, churn, heads;

static void on_term(int sig)
{
	stop = 1;
}

static void on_usr(int sig)
{
	if (sig == SIGUSR1)
		churn = 1;
	else
		heads = 1;
}

/* "HEADS=" and each PMD range's head PFN ("-" if it is not one whole THP). */
static void print_heads(unsigned char *p, size_t size, size_t pmd, size_t ps)
{
	uint64_t head;
	char why[128];
	size_t off;

	printf("HEADS=");
	for (off = 0; off < size; off += pmd)
		if (thp_range_is_thp(getpid(), p + off, pmd / ps, &head, why, sizeof(why)))
			printf(" %#llx", (unsigned long long)head);
		else
			printf(" -");
	printf("\n");
	fflush(stdout);
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

	bool anon = argc == 3 && !strcmp(argv[1], "--churn");

	if (argc != 3)
		return fprintf(stderr, "usage: %s FILE|--churn SIZE_MB\n", argv[0]), 2;
	if (pmd <= 0)
		return fprintf(stderr, "%s: cannot read hpage_pmd_size\n", argv[0]), 1;
	size = strtoul(argv[2], NULL, 0) * THP_MIB;
	if (anon) {
		p = thp_map_aligned(size, pmd, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			madvise(p, size, MADV_HUGEPAGE);
	} else {
		fd = open(argv[1], O_RDWR | O_CREAT, 0600);
		if (fd < 0 || ftruncate(fd, size))
			return perror(argv[1]), 1;
		p = thp_map_aligned(size, pmd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	for (i = 0; i < size; i++)
		p[i] = pattern(i, ps);
	signal(SIGTERM, on_term);
	signal(SIGUSR1, on_usr);
	signal(SIGUSR2, on_usr);
	printf("ADDR=%p\n", (void *)p);
	fflush(stdout);
	if (anon)
		print_heads(p, size, pmd, ps);
	while (!stop) {
		pause();
		if (anon && churn) {
			churn = 0;
			for (i = 0; i < size; i += pmd) {
				unsigned char *sub = p + i + 16 * ps;
				size_t j;

				mprotect(sub, 8 * ps, PROT_READ);
				mprotect(sub, 8 * ps, PROT_READ | PROT_WRITE);
				for (j = 0; j < 8 * ps; j++)
					sub[j] = pattern(sub - p + j, ps);
			}
			printf("CHURNED\n");
			print_heads(p, size, pmd, ps);
		}
		if (anon && heads) {
			heads = 0;
			print_heads(p, size, pmd, ps);
		}
	}
	for (i = 0; i < size; i++)
		if (p[i] != pattern(i, ps))
			return fprintf(stderr, "contents changed at %zu\n", i), 1;
	printf("contents intact\n");
	return 0;
}
