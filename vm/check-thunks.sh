#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check-thunks.sh OBJ: the IBT call stubs of ibt_thunks.S, as built, have the
# shape ibt_thunks.S promises (no VM can show this: QEMU does not emulate IBT,
# retbleed or SRSO). Leaving out NOPs (alignment, and the call depth
# accounting alternative before the CALL), every thp_kcall_* stub must be:
#   endbr64; mov SLOT(%rip),%r11; call 1f; int3; 1: mov %r11,(%rsp); RET
# where RET is a jmp to __x86_return_thunk (RETHUNK builds) or a ret: it
# reaches its target by a return whose RSB entry it pushed itself, through
# the return thunk, and leaves the stack (stack arguments included) as the
# direct call left it. Exit status 0 when every stub conforms.
set -uo pipefail
obj=$1
objdump -dr --no-show-raw-insn "$obj" | awk '
	/^[0-9a-f]+ <thp_kcall_[a-z0-9_]+>:$/ {
		if (name != "") check()
		name = $2; gsub(/[<>:]/, "", name); n = 0; next
	}
	/^[0-9a-f]+ </ { if (name != "") check(); name = ""; next }
	name == "" { next }
	/^[ \t]+[0-9a-f]+: R_X86_64_/ {
		if (n) insn[n - 1] = insn[n - 1] " @" $3
		next
	}
	/^ *[0-9a-f]+:/ {
		sub(/^ *[0-9a-f]+:[ \t]*/, ""); sub(/[ \t]*#.*/, "")
		gsub(/[ \t]+/, " ")
		if ($0 ~ /^(nop|xchg %ax,%ax|cs nop|data16)/) next
		# after the return: the trap and the padding up to the next stub
		if (n >= 6 && $0 == "int3") next
		insn[n++] = $0
	}
	function check(  ok) {
		ok = n == 6 && insn[0] == "endbr64" &&
		     insn[1] ~ /^mov 0x[0-9a-f]+\(%rip\),%r11 @thp_(ksym|kln)_addr/ &&
		     insn[2] ~ /^call [0-9a-f]+ </ && insn[3] == "int3" &&
		     insn[4] == "mov %r11,(%rsp)" &&
		     (insn[5] ~ /^jmp [0-9a-f]+ <[^>]*> @__x86_return_thunk/ || insn[5] == "ret")
		if (!ok) {
			bad++
			printf "%s: %d instructions:", name, n
			for (i = 0; i < n; i++) printf " [%s]", insn[i]
			printf "\n"
		}
		stubs++
	}
	END {
		if (name != "") check()
		printf "%d stubs checked, %d bad\n", stubs, bad
		exit (stubs == 0 || bad != 0)
	}'
