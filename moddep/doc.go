// Package moddep resolves module names to modules and their dependencies, and
// reads and writes kmod's .bin indexes.
//
// The index half of the package reproduces kmod 34.2 exactly rather than
// approximately, because modprobe, modinfo and depmod from either project may
// read files the other wrote, and users diff our output against kmod's:
//
//   - [IndexWriter] builds the trie depmod writes to modules.dep.bin,
//     modules.alias.bin, modules.symbols.bin, modules.builtin.bin and
//     modules.builtin.alias.bin; for the same sequence of inserts its output is
//     byte-identical to kmod's index_write.
//   - [Index] reads those files the way libkmod does. libkmod has two readers
//     that disagree on the order of equal-priority values (the mmap reader
//     modprobe uses after kmod_load_resources, and the stdio reader every
//     other tool uses); [ReaderMmap] and [ReaderStream] select which one to
//     imitate.
//   - depmod walks its modules and symbols in the order of kmod's
//     shared/hash.c tables, which decides the order of lines in files such
//     as modules.symbols.
//   - [Fnmatch] is glibc's fnmatch(pattern, name, 0) in the C locale, which
//     libkmod uses to match wildcard aliases.
package moddep
