# SPDX-License-Identifier: GPL-2.0
#
# make [KDIR=<kernel build dir>]   build thp_retry.ko (kbuild reads Kbuild)
# make demo                        boot x86_64 6.12 in QEMU and show the module at work
# make check                       all tests on the seven targets, in QEMU
# make check-debug                 all tests + stress on debug 6.12 and 7.x x86_64
#                                  kernels (KASAN, lockdep, DEBUG_VM, kmemleak;
#                                  built once each)
# make clean
# make install [INSTALL_MOD_DIR=extra]     modules_install into /lib/modules/<ver>/
#
# KDIR defaults to the running kernel's headers. For arm64 add
# ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-.

KDIR ?= /lib/modules/$(shell uname -r)/build
INSTALL_MOD_DIR ?= extra

all: modules

modules clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install

demo:
	vm/demo.sh

check:
	vm/check.sh

check-debug:
	vm/check-debug.sh

.PHONY: all modules clean install demo check check-debug
