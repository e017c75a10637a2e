// Package modconf reads the configuration of the module tools: depmod.d
// (search, override, external, exclude), modprobe.d and the legacy
// conf.modules of the kerneld era.
//
// It is pure: every function reads only the files or directories it is
// given and never touches the running kernel, so the same code serves a
// live system, a -b image root and the tests. Problems in a file are
// reported through a diag.Reporter, worded as kmod words them, and the rest of
// the file still counts.
package modconf
