package xz

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// The LZMA decoder. Its hot loop keeps the range decoder (range, code,
// input position), the state and the four repeated distances in locals,
// and indexes probability arrays whose sizes are powers of two with
// masked indices, so that the compiler drops the bounds checks. Bits are
// decoded with the range coder normalised after each bit (as the kernel's
// decoder leaves it normalised at the end of a chunk), so a chunk is
// exactly consumed when its compressed size is. On amd64 the loop runs
// as lzmaLoop, in assembly (lzma_amd64.go says why), returning to this
// one at its bounds and errors; this one is the reference, what other
// architectures run.

const (
	probBits  = 11
	probInit  = 1 << probBits >> 1
	moveBits  = 5
	topValue  = 1 << 24
	minMatch  = 2
	maxMatch  = 273
	endMarker = 0xffffffff
)

// lenProbs are the probabilities of a length decoder: a choice between
// 8 low lengths (per position state), 8 middle ones and 256 high ones.
type lenProbs struct {
	choice  uint16
	choice2 uint16
	low     [128]uint16 // 16 position states × 8
	mid     [128]uint16
	high    [512]uint16 // 256 used: tree reads 512
}

// lzmaDec is the LZMA state that lives across LZMA2 chunks.
type lzmaDec struct {
	isMatch    [256]uint16 // state<<4 | posState
	isRep0Long [256]uint16
	isRep      [16]uint16
	isRepG0    [16]uint16
	isRepG1    [16]uint16
	isRepG2    [16]uint16
	posSlot    [4][128]uint16 // [lenState], 64 used: tree reads 128
	posSpecial [128]uint16    // 114 used
	align      [16]uint16
	matchLen   lenProbs
	repLen     lenProbs
	lit        [16][0x400]uint16 // 0x300 used of each
	in         chunkIn
	r          loopRegs

	state                  uint32
	rep0, rep1, rep2, rep3 uint32
	lc, lp, pb             uint32

	goOnly bool // no lzmaLoop: for the tests that compare the two
}

// loopRegs is the decoding loop's state as decode hands it to lzmaLoop
// and takes it back.
type loopRegs struct {
	out                           *byte // out's first byte; nil between calls
	dictStart, pos                int
	relStop, relEnd               int // stop and end - dictStart
	ip                            int
	inEnd                         uintptr // &d.in[inLen]
	rng, code                     uint32
	state, rep0, rep1, rep2, rep3 uint32
	litMask, litMul, pbMask, dict uint32 // lpMask<<8 | 0xff, 8<<lc
	//lint:ignore U1000 lzmaLoop's own: a match's length, its distance, a loop's limit, the kind of match, and two registers and a value while it decodes a matched literal
	scratch [10]uint32
	status  uint32 // why lzmaLoop returned
}

// lzmaLoop's statuses: at a bound the Go loop checks, and at its errors.
const (
	loopBound = iota
	loopDist
	loopLen
	loopEnd
)

var errProps = errors.New("bad LZMA properties")

// setProps decodes the properties byte, (pb * 5 + lp) * 9 + lc, with
// LZMA2's lc + lp <= 4.
func (d *lzmaDec) setProps(b byte) error {
	if b >= 9*5*5 {
		return errProps
	}
	lc, lp, pb := uint32(b%9), uint32(b/9%5), uint32(b/45)
	if lc+lp > 4 {
		return errProps
	}
	d.lc, d.lp, d.pb = lc, lp, pb
	return nil
}

func (d *lzmaDec) reset() {
	fill := func(p []uint16) {
		for i := range p {
			p[i] = probInit
		}
	}
	fill(d.isMatch[:])
	fill(d.isRep0Long[:])
	fill(d.isRep[:])
	fill(d.isRepG0[:])
	fill(d.isRepG1[:])
	fill(d.isRepG2[:])
	for i := range d.posSlot {
		fill(d.posSlot[i][:64])
	}
	fill(d.posSpecial[:])
	fill(d.align[:])
	for _, l := range []*lenProbs{&d.matchLen, &d.repLen} {
		l.choice, l.choice2 = probInit, probInit
		fill(l.low[:])
		fill(l.mid[:])
		fill(l.high[:256])
	}
	for i := 0; i < 1<<(d.lc+d.lp); i++ {
		fill(d.lit[i][:0x300])
	}
	d.state = 0
	d.rep0, d.rep1, d.rep2, d.rep3 = 0, 0, 0, 0
}

// chunkIn holds an LZMA chunk's compressed bytes (at most 64 KiB). The
// range decoder reads it with a masked index: no bounds check, no branch.
// Past the chunk it reads what an earlier chunk left there; the decoding
// loop stops when it sees the position past the chunk, and fails.
type chunkIn [1 << 17]byte

const chunkMask = len(chunkIn{}) - 1

// norm normalises the range decoder, reading the next input byte when
// the range has shrunk below 2^24.
func norm(rng, code uint32, in *chunkIn, ip int) (uint32, uint32, int) {
	if rng < topValue {
		return rng << 8, code<<8 | uint32(in[ip&chunkMask]), ip + 1
	}
	return rng, code, ip
}

// bit decodes one bit of probability *p and adapts *p.
func bit(p *uint16, rng, code uint32) (uint32, uint32, uint32) {
	v := uint32(*p)
	bound := (rng >> probBits) * v
	if code < bound {
		*p = uint16(v + (1<<probBits-v)>>moveBits)
		return bound, code, 0
	}
	*p = uint16(v - v>>moveBits)
	return rng - bound, code - bound, 1
}

// bitV decodes one bit of probability v and returns v adapted, for the
// caller to store. It is for the bits of literals and bit trees, as
// unpredictable as the data, and has no branches: each choice is an if of
// one value, which Go compiles to a CMOV (on amd64 it turns a diamond into
// conditional moves only when it merges a single value), as liblzma's
// x86-64 assembly does. The probability moves up by (2048 - v) >> 5 or
// down by v >> 5, both written as v - ((v + t) >> 5) in signed
// arithmetic, t being 31 - 2048 or 0. Callers load v themselves, often
// before the previous bit is known, which keeps the load off the range
// decoder's dependency chain. (Written to fit Go's inlining budget.)
func bitV(v, rng, code uint32) (nv, nr, nc, b uint32) {
	bound := (rng >> probBits) * v
	nr, nc, b = rng-bound, code-bound, 1
	if code < bound {
		nr = bound
	}
	if code < bound {
		nc = code
	}
	if code < bound {
		b = 0
	}
	return uint32(int32(v) - (int32(v)+int32(b-1)&(31-1<<probBits))>>moveBits), nr, nc, b
}

// treeGo decodes a symbol of log2(lim) bits, most significant bit first,
// from the bit tree at probs (probs[1:lim] used, and 2*lim entries long).
// The probabilities of both children are loaded while a bit decodes, and
// the next one picked by a CMOV, which keeps the load off the range
// decoder's dependency chain (liblzma's x86-64 assembly does the same,
// and so does lzmaLoop).
func treeGo(probs *uint16, lim, rng, code uint32, in *chunkIn, ip int) (uint32, uint32, uint32, int) {
	p := unsafe.Slice(probs, 2*lim)
	sym := uint32(1)
	v := uint32(p[1])
	for sym < lim {
		c0, c1 := uint32(p[sym<<1]), uint32(p[sym<<1|1])
		var nv, b uint32
		nv, rng, code, b = bitV(v, rng, code)
		p[sym] = uint16(nv)
		if b != 0 {
			c0 = c1
		}
		v = c0
		sym = sym<<1 | b
		rng, code, ip = norm(rng, code, in, ip)
	}
	return sym - lim, rng, code, ip
}

// reverseTree is tree with the bits least significant first; probs need
// not be a power of two long.
func reverseTree(probs []uint16, n int, rng, code uint32, in *chunkIn, ip int) (uint32, uint32, uint32, int) {
	sym, m := uint32(1), uint32(0)
	for i := range n {
		var b uint32
		var v uint32
		v, rng, code, b = bitV(uint32(probs[sym]), rng, code)
		probs[sym] = uint16(v)
		rng, code, ip = norm(rng, code, in, ip)
		sym = sym<<1 | b
		m |= b << i
	}
	return m, rng, code, ip
}

// length decodes a match length minus minMatch: the bit trees unrolled.
func (l *lenProbs) length(posState uint32, rng, code uint32, in *chunkIn, ip int) (uint32, uint32, uint32, int) {
	var b uint32
	rng, code, b = bit(&l.choice, rng, code)
	rng, code, ip = norm(rng, code, in, ip)
	base := uint32(0)
	var p *[8]uint16
	if b == 0 {
		p = (*[8]uint16)(l.low[posState<<3&127:])
	} else {
		rng, code, b = bit(&l.choice2, rng, code)
		rng, code, ip = norm(rng, code, in, ip)
		if b != 0 {
			n, rng, code, ip := treeGo(&l.high[0], 0x100, rng, code, in, ip)
			return 16 + n, rng, code, ip
		}
		p = (*[8]uint16)(l.mid[posState<<3&127:])
		base = 8
	}
	n, rng, code, ip := tree3(p, rng, code, in, ip)
	return base + n, rng, code, ip
}

// tree3 is tree for a three-bit symbol, unrolled, loading both candidates
// for each next probability.
func tree3(p *[8]uint16, rng, code uint32, in *chunkIn, ip int) (uint32, uint32, uint32, int) {
	var v, b, b1, b2 uint32
	v2, v3 := uint32(p[2]), uint32(p[3])
	v, rng, code, b = bitV(uint32(p[1]), rng, code)
	p[1] = uint16(v)
	rng, code, ip = norm(rng, code, in, ip)
	i := 2 | b
	if b != 0 {
		v2 = v3
	}
	c0, c1 := uint32(p[i<<1&7]), uint32(p[(i<<1|1)&7])
	v, rng, code, b1 = bitV(v2, rng, code)
	p[i&7] = uint16(v)
	rng, code, ip = norm(rng, code, in, ip)
	i = i<<1 | b1
	if b1 != 0 {
		c0 = c1
	}
	v, rng, code, b2 = bitV(c0, rng, code)
	p[i&7] = uint16(v)
	rng, code, ip = norm(rng, code, in, ip)
	return (i<<1 | b2) - 8, rng, code, ip
}

// literal decodes a literal's eight bits. It and matchedLiteralGo are
// functions of their own, not inlined, so that the few values of their
// loops stay in registers.
func literal(probs *[0x400]uint16, rng, code uint32, in *chunkIn, ip int) (uint32, uint32, uint32, int) {
	return treeGo(&probs[0], 0x100, rng, code, in, ip)
}

// matchedLiteralGo decodes a literal after a match: the byte at rep0
// predicts this one until their bits first differ.
func matchedLiteralGo(probs *[0x400]uint16, match, rng, code uint32, in *chunkIn, ip int) (uint32, uint32, uint32, int) {
	sym, offset := uint32(1), uint32(0x100)
	for sym < 0x100 {
		var b uint32
		match <<= 1
		mb := match & offset
		i := (offset + mb + sym) & 0x3ff
		var v uint32
		v, rng, code, b = bitV(uint32(probs[i]), rng, code)
		probs[i] = uint16(v)
		rng, code, ip = norm(rng, code, in, ip)
		sym = sym<<1 | b
		offset &= mb ^ (b - 1)
	}
	return sym & 0xff, rng, code, ip
}

// nextState after a literal, a match, a repeated match and a short rep.
var litState = [16]uint8{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 4, 5}

// decode decodes one LZMA chunk, in (at offset inOff in the file), into
// usize more bytes of s.out, for which room is made. Matches may reach
// back to dictStart, and no further than dict bytes.
func (d *lzmaDec) decode(s *stream, src []byte, inOff, usize, dictStart int, dict uint32) error {
	if len(src) < 5 || src[0] != 0 {
		return corrupt(inOff, "bad LZMA chunk start")
	}
	in, inLen := &d.in, len(src)
	copy(in[:], src)
	// The chunk's header claims usize, but a corrupt chunk may end much
	// sooner: room is made for what the input could plausibly give, and
	// more as it does. Below stop, a whole match (and the slack of its
	// eight-byte copy) fits.
	pos := len(s.out)
	end := pos + usize
	s.room(min(usize, maxRatio*inLen+64<<10) + maxMatch)
	out := s.out[:cap(s.out)]
	stop := min(end, len(out)-slack-maxMatch)
	rng, code, ip := uint32(0xffffffff), binary.BigEndian.Uint32(src[1:5]), 5
	state, rep0, rep1, rep2, rep3 := d.state, d.rep0, d.rep1, d.rep2, d.rep3
	lc, lpMask, pbMask := d.lc, uint32(1)<<d.lp-1, uint32(1)<<d.pb-1

	var b uint32
	for {
		if haveLoop && !d.goOnly {
			r := &d.r
			r.out, r.dictStart, r.pos = unsafe.SliceData(out), dictStart, pos
			r.relStop, r.relEnd = stop-dictStart, end-dictStart
			r.ip, r.inEnd, r.rng, r.code = ip, uintptr(unsafe.Pointer(&in[0]))+uintptr(inLen), rng, code
			r.state, r.rep0, r.rep1, r.rep2, r.rep3 = state, rep0, rep1, rep2, rep3
			r.litMask, r.litMul, r.pbMask, r.dict = lpMask<<8|0xff, 8<<lc, pbMask, dict
			lzmaLoop(d)
			r.out = nil
			pos, ip, rng, code = r.pos, r.ip, r.rng, r.code
			state, rep0, rep1, rep2, rep3 = r.state, r.rep0, r.rep1, r.rep2, r.rep3
			switch r.status {
			case loopDist:
				return errDistance(inOff+ip, rep0)
			case loopLen:
				return errPastEnd(inOff + ip)
			case loopEnd:
				return errEndMarker(inOff + ip)
			}
		}
		if pos >= stop {
			if pos >= end || ip > inLen {
				break
			}
			s.out = out[:pos]
			s.room(min(end-pos, max(pos, 64<<10)) + maxMatch)
			out = s.out[:cap(s.out)]
			stop = min(end, len(out)-slack-maxMatch)
			continue
		}
		if ip > inLen { // past the input, it is corrupt
			break
		}
		rel := uint32(pos - dictStart)
		posState := rel & pbMask
		rng, code, b = bit(&d.isMatch[uint8(state<<4|posState)], rng, code)
		rng, code, ip = norm(rng, code, in, ip)
		if b == 0 {
			// A literal, coded with the previous byte's high bits and
			// the position's low bits as context.
			var prev uint32
			if rel > 0 {
				prev = uint32(out[pos-1])
			}
			probs := &d.lit[((rel&lpMask)<<lc+prev>>(8-lc))&15]
			var sym uint32
			if state < 7 {
				sym, rng, code, ip = literal(probs, rng, code, in, ip)
			} else {
				// (A state of 7 or more follows a match, which checked
				// rep0; lzmaLoop checks it again, and so does this.)
				if rep0 >= rel {
					return errDistance(inOff+ip, rep0)
				}
				sym, rng, code, ip = matchedLiteralGo(probs, uint32(out[pos-int(rep0)-1]), rng, code, in, ip)
			}
			out[pos] = byte(sym)
			pos++
			state = uint32(litState[state&15])
			continue
		}
		var n uint32 // the match length - minMatch
		rng, code, b = bit(&d.isRep[state&15], rng, code)
		rng, code, ip = norm(rng, code, in, ip)
		if b == 0 {
			// A match with a new distance.
			n, rng, code, ip = d.matchLen.length(posState, rng, code, in, ip)
			if state < 7 {
				state = 7
			} else {
				state = 10
			}
			var sl uint32
			lenState := min(n, 3)
			sl, rng, code, ip = treeGo(&d.posSlot[lenState&3][0], 64, rng, code, in, ip)
			dist := sl
			if sl >= 4 {
				nd := int(sl>>1 - 1)
				dist = (2 | sl&1) << nd
				if sl < 14 {
					var r uint32
					// posSpecial is laid out one up from the
					// reference decoder's, where the first index
					// would be -1.
					r, rng, code, ip = reverseTree(d.posSpecial[dist-sl:], nd, rng, code, in, ip)
					dist += r
				} else {
					// Direct bits, then four through the align tree.
					var direct uint32
					for range nd - 4 {
						rng >>= 1
						code -= rng
						t := 0 - code>>31 // all ones if the bit is 0
						code += rng & t
						direct = direct<<1 | (t + 1)
						rng, code, ip = norm(rng, code, in, ip)
					}
					var r uint32
					r, rng, code, ip = reverseTree(d.align[:], 4, rng, code, in, ip)
					dist += direct<<4 + r
				}
			}
			if dist == endMarker {
				return errEndMarker(inOff + ip)
			}
			rep3, rep2, rep1, rep0 = rep2, rep1, rep0, dist
		} else {
			rng, code, b = bit(&d.isRepG0[state&15], rng, code)
			rng, code, ip = norm(rng, code, in, ip)
			if b == 0 {
				rng, code, b = bit(&d.isRep0Long[uint8(state<<4|posState)], rng, code)
				rng, code, ip = norm(rng, code, in, ip)
				if b == 0 {
					// A short rep: one byte from rep0.
					if rep0 >= rel || rep0 >= dict {
						return errDistance(inOff+ip, rep0)
					}
					if state < 7 {
						state = 9
					} else {
						state = 11
					}
					out[pos] = out[pos-int(rep0)-1]
					pos++
					continue
				}
			} else {
				var dist uint32
				rng, code, b = bit(&d.isRepG1[state&15], rng, code)
				rng, code, ip = norm(rng, code, in, ip)
				if b == 0 {
					dist = rep1
				} else {
					rng, code, b = bit(&d.isRepG2[state&15], rng, code)
					rng, code, ip = norm(rng, code, in, ip)
					if b == 0 {
						dist = rep2
					} else {
						dist = rep3
						rep3 = rep2
					}
					rep2 = rep1
				}
				rep1 = rep0
				rep0 = dist
			}
			n, rng, code, ip = d.repLen.length(posState, rng, code, in, ip)
			if state < 7 {
				state = 8
			} else {
				state = 11
			}
		}
		if rep0 >= rel || rep0 >= dict {
			return errDistance(inOff+ip, rep0)
		}
		l := int(n) + minMatch
		if l > end-pos {
			return errPastEnd(inOff + ip)
		}
		from := pos - int(rep0) - 1
		switch {
		case rep0 >= 7:
			// Eight bytes at a time: with a distance of eight or more,
			// each load reads bytes already written, and the up to
			// seven bytes written past the match land in the slack.
			for i := 0; i < l; i += 8 {
				binary.LittleEndian.PutUint64(out[pos+i:], binary.LittleEndian.Uint64(out[from+i:]))
			}
		default:
			for i := range l {
				out[pos+i] = out[from+i]
			}
		}
		pos += l
	}
	d.state, d.rep0, d.rep1, d.rep2, d.rep3 = state, rep0, rep1, rep2, rep3
	s.out = out[:pos]
	if ip != inLen || code != 0 {
		return corrupt(inOff+min(ip, inLen), "corrupt LZMA chunk")
	}
	return nil
}

// The errors of a chunk's symbols, which decode and lzmaLoop find.

func errDistance(off int, rep0 uint32) error {
	return corrupt(off, "LZMA distance %d beyond the dictionary", rep0+1)
}

func errPastEnd(off int) error { return corrupt(off, "LZMA match runs past the chunk's end") }

func errEndMarker(off int) error { return corrupt(off, "end marker in an LZMA2 chunk") }
