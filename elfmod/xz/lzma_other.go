//go:build !amd64

package xz

const haveLoop = false

func lzmaLoop(d *lzmaDec) {}
