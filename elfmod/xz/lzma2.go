package xz

// lzma2 decodes the LZMA2 data starting at p (compSize bytes if known,
// else up to the end marker) into s.out and returns the offset just past
// its end marker. The block is one dictionary: its first chunk must reset
// it, and matches may not reach before the last reset.
//
// Chunks (control byte first):
//
//	0x00                end of data
//	0x01, 0x02          uncompressed chunk, with or without dictionary reset,
//	                    then its size - 1 (16 bits, big-endian)
//	0x80 | r<<5 | u>>16 LZMA chunk: r resets nothing (0), the state (1),
//	                    the state with new properties (2), and also the
//	                    dictionary (3); then u - 1 low 16 bits, the
//	                    compressed size - 1 (16 bits), the properties
//	                    byte when r >= 2, and the range-coded data
func (s *stream) lzma2(p int, compSize int64, dict uint32) (int, error) {
	src := s.src
	end := len(src)
	if compSize >= 0 && compSize < int64(end-p) {
		end = p + int(compSize)
	}
	lz := &s.d.lz
	needDictReset, needProps := true, true
	dictStart := len(s.out)
	for {
		if p >= end {
			return 0, truncated(p, "LZMA2 data")
		}
		at := p
		c := src[p]
		p++
		if c == 0 {
			return p, nil
		}
		if c >= 0xe0 || c == 1 {
			needProps = true
			needDictReset = false
			dictStart = len(s.out)
		} else if needDictReset {
			return 0, corrupt(at, "LZMA2 chunk without the dictionary reset the block's first must have")
		}
		if c < 0x80 {
			if c > 2 {
				return 0, corrupt(at, "bad LZMA2 control byte %#02x", c)
			}
			if end-p < 2 {
				return 0, truncated(end, "LZMA2 chunk header")
			}
			n := int(src[p])<<8 | int(src[p+1]) + 1
			p += 2
			if end-p < n {
				return 0, truncated(end, "uncompressed LZMA2 chunk")
			}
			if err := s.within(n, at); err != nil {
				return 0, err
			}
			s.room(n)
			s.out = append(s.out, src[p:p+n]...)
			p += n
			continue
		}
		if end-p < 4 {
			return 0, truncated(end, "LZMA2 chunk header")
		}
		usize := int(c&0x1f)<<16 | int(src[p])<<8 | int(src[p+1]) + 1
		csize := int(src[p+2])<<8 | int(src[p+3]) + 1
		p += 4
		switch {
		case c >= 0xc0:
			if p >= end {
				return 0, truncated(end, "LZMA2 chunk header")
			}
			if err := lz.setProps(src[p]); err != nil {
				return 0, corrupt(p, "%v", err)
			}
			p++
			needProps = false
			lz.reset()
		case needProps:
			return 0, corrupt(at, "LZMA chunk without the properties a dictionary reset needs")
		case c >= 0xa0:
			lz.reset()
		}
		if end-p < csize {
			return 0, truncated(end, "LZMA chunk")
		}
		if err := s.within(usize, at); err != nil {
			return 0, err
		}
		if err := lz.decode(s, src[p:p+csize], p, usize, dictStart, dict); err != nil {
			return 0, err
		}
		p += csize
	}
}

// within checks that n more bytes of output stay within the limit.
func (s *stream) within(n, at int) error {
	if int64(len(s.out)-s.base)+int64(n) > s.limit {
		return &FormatError{Off: int64(at), Msg: ErrTooLarge.Error(), err: ErrTooLarge}
	}
	return nil
}

// room makes room for n more bytes of output and the slack after them.
func (s *stream) room(n int) {
	if cap(s.out)-len(s.out) < n+slack {
		s.grow(n)
	}
}
