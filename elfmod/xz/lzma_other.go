//go:build !amd64

package xz

func tree(probs *uint16, lim, rng, code uint32, in *chunkIn, ip int) (sym, rng2, code2 uint32, ip2 int) {
	return treeGo(probs, lim, rng, code, in, ip)
}

func matchedLiteral(probs *[0x400]uint16, match, rng, code uint32, in *chunkIn, ip int) (sym, rng2, code2 uint32, ip2 int) {
	return matchedLiteralGo(probs, match, rng, code, in, ip)
}
