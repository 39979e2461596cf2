#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's main job, inside the guest: show the module at work.
# Lines for the user start with "THP-DEMO:".
d=/sys/kernel/debug/thp_retry
out() { sed 's/^/THP-DEMO: /'; }
{
	echo "kernel $(uname -r) on $(uname -m)"
	echo "\$ lsmod | grep thp_retry"
	lsmod | grep thp_retry
	echo "\$ ls $d"
	ls $d
	echo "\$ cat $d/features"
	cat $d/features
} 2>&1 | out
