// Package kernel is the only part of modutils that talks to the running
// kernel: module syscalls, /proc and /sys, netlink and uname. Everything
// else is pure logic over files under a root directory, so it can be
// tested without a kernel that loads modules; keeping x/sys/unix behind
// this package (and internal/rawfile, which only reads files and advises
// on the memory they are decompressed into) makes that boundary easy to
// see, and internal/layers' test keeps it there.
package kernel
