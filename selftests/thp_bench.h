/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_bench.h - statistics and formatting shared by the benchmark tools.
 */
#ifndef THP_BENCH_H
#define THP_BENCH_H

#include <stdio.h>
#include <stdlib.h>

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @n samples (sorted in place); -1 when there are none. */
static inline double median(double *v, int n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline const char *fmt_us(double us, char *buf, size_t size)
{
	if (us < 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.1f", us);
	return buf;
}

static inline const char *fmt_ratio(double a, double b, char *buf, size_t size)
{
	if (a < 0 || b <= 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.2f", a / b);
	return buf;
}

#endif /* THP_BENCH_H */
