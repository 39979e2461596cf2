// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - instantiates the tracepoints of thp_trace.h.
 */
#define CREATE_TRACE_POINTS
#include "thp_trace.h"
