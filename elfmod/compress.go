package elfmod

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"compress/gzip"

	"github.com/klauspost/compress/zstd"
	"github.com/modutils/modutils/elfmod/xz"
)

// Compression is the compression format of a module file.
type Compression uint8

const (
	None Compression = iota
	Gzip
	XZ
	Zstd
)

func (c Compression) String() string {
	switch c {
	case None:
		return "none"
	case Gzip:
		return "gzip"
	case XZ:
		return "xz"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("Compression(%d)", uint8(c))
}

// MaxDecompressedSize bounds the size of a decompressed module image, so
// that a compression bomb yields an error instead of exhausting memory. The
// largest in-tree modules are a few tens of MiB.
const MaxDecompressedSize int64 = 256 << 20

const (
	// magicLen is what kmod reads before choosing a loader: the length of
	// the longest magic (xz).
	magicLen = 6

	// zstdWindowMax is libzstd's default decoder window limit
	// (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27), which kmod does not raise.
	zstdWindowMax = 1 << 27

	maxPooledImage = 16 << 20
)

var (
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	magicGzip = []byte{0x1f, 0x8b}
)

// Detect returns the compression format indicated by the first bytes of a
// file, checking zstd, xz and gzip magics in kmod's order.
func Detect(magic []byte) Compression {
	switch {
	case bytes.HasPrefix(magic, magicZstd):
		return Zstd
	case bytes.HasPrefix(magic, magicXZ):
		return XZ
	case bytes.HasPrefix(magic, magicGzip):
		return Gzip
	}
	return None
}

// Decompress reads a whole compressed stream of format c from r and returns
// the decompressed bytes. More than limit bytes of output is an error
// matching ErrTooLarge; a limit <= 0 means MaxDecompressedSize. path is used
// in errors only. Like kmod, it accepts concatenated xz streams (with stream
// padding), concatenated gzip members (ignoring trailing non-gzip data, as
// zlib's gzread does) and multiple zstd frames. Decoders are pooled.
func Decompress(path string, r io.Reader, c Compression, limit int64) ([]byte, error) {
	b, err := decompress(path, r, c, limit, nil)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func decompress(path string, r io.Reader, c Compression, limit int64, dst []byte) ([]byte, error) {
	if limit <= 0 {
		limit = MaxDecompressedSize
	}
	// readLimit needs room for one byte past the limit.
	limit = min(limit, math.MaxInt64-1)
	var err error
	switch c {
	case None:
		dst, err = readLimit(dst, r, limit)
	case Gzip:
		dst, err = gunzip(dst, r, limit)
	case XZ:
		dst, err = unxz(dst, r, limit)
	case Zstd:
		dst, err = unzstd(dst, r, limit)
	default:
		err = fmt.Errorf("unknown compression %v", c)
	}
	if err != nil {
		return dst, &DecompressError{Path: path, Compression: c, Err: err}
	}
	return dst, nil
}

// decompressData is decompress of input already in memory: xz decodes
// from it in place, with unxz's bound on the input; the others read it.
func decompressData(path string, data []byte, c Compression, limit int64, dst []byte) ([]byte, error) {
	if c != XZ {
		return decompress(path, bytes.NewReader(data), c, limit, dst)
	}
	if limit <= 0 {
		limit = MaxDecompressedSize
	}
	var err error
	if int64(len(data)) > xzInputMax(limit) {
		err = ErrTooLarge
	} else if dst, err = xz.Decode(dst, data, limit); errors.Is(err, xz.ErrTooLarge) {
		err = ErrTooLarge
	}
	if err != nil {
		return dst, &DecompressError{Path: path, Compression: c, Err: err}
	}
	return dst, nil
}

// readLimit appends everything r yields to dst, failing once more than
// limit bytes are in dst.
func readLimit(dst []byte, r io.Reader, limit int64) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			if int64(len(dst)) > limit {
				return dst, ErrTooLarge
			}
			c := min(max(2*int64(cap(dst)), 256<<10), limit+1)
			nb := make([]byte, len(dst), c)
			copy(nb, dst)
			dst = nb
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if int64(len(dst)) > limit {
			return dst, ErrTooLarge
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

var gzipPool sync.Pool // of *gzip.Reader

func gunzip(dst []byte, r io.Reader, limit int64) ([]byte, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = getBufReader(r)
		defer putBufReader(br)
	}
	zr, _ := gzipPool.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if zr != nil {
		defer gzipPool.Put(zr)
	}
	for err == nil {
		// Members one by one, so that what follows the last one can be
		// inspected: zlib goes on only if it starts with the gzip magic.
		zr.Multistream(false)
		if dst, err = readLimit(dst, zr, limit); err != nil {
			break
		}
		if p, _ := br.Peek(2); !bytes.Equal(p, magicGzip) {
			return dst, nil
		}
		err = zr.Reset(br)
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return dst, err
}

var xzInPool sync.Pool // of *[]byte: whole compressed files

// xzInputMax is the most of a compressed file unxz reads for a limit of
// decompressed output: no xz stream that small holds more.
func xzInputMax(limit int64) int64 { return min(limit, math.MaxInt64-2<<20) + 1<<20 }

func getXZInput() *[]byte {
	if p, ok := xzInPool.Get().(*[]byte); ok {
		return p
	}
	return new([]byte)
}

// putXZInput pools in's buffer, which p held before, unless it is large.
func putXZInput(p *[]byte, in []byte) {
	if cap(in) <= maxPooledImage {
		*p = in[:0]
		xzInPool.Put(p)
	}
}

// unxz reads the whole .xz file and decodes it at once (package xz): the
// output buffer is the decoder's dictionary. A file larger than the limit
// plus 1 MiB would decode to more than the limit unless it were mostly
// stream padding, so it is refused before it is all in memory.
func unxz(dst []byte, r io.Reader, limit int64) ([]byte, error) {
	p := getXZInput()
	in, err := readLimit((*p)[:0], r, xzInputMax(limit))
	defer putXZInput(p, in)
	if err != nil {
		return dst, err
	}
	dst, err = xz.Decode(dst, in, limit)
	if errors.Is(err, xz.ErrTooLarge) {
		err = ErrTooLarge
	}
	return dst, err
}

var zstdPool sync.Pool // of *zstdDecoder

type zstdDecoder struct {
	*zstd.Decoder
	limit int64 // the decoder's WithDecoderMaxMemory
}

func unzstd(dst []byte, r io.Reader, limit int64) ([]byte, error) {
	d, _ := zstdPool.Get().(*zstdDecoder)
	if d == nil {
		zd, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(zstdWindowMax),
			zstd.WithDecoderMaxMemory(uint64(limit)))
		if err != nil {
			return dst, err
		}
		d = &zstdDecoder{zd, limit}
	}
	// The wrapper hides a *bytes.Buffer's Bytes method, which would make
	// the decoder decode everything at once, ignoring our limit.
	in := struct{ io.Reader }{r}
	var err error
	if d.limit != limit {
		// The memory limit makes the decoder reject a frame declaring
		// more content than that before it allocates a window for it.
		err = d.ResetWithOptions(in, zstd.WithDecoderMaxMemory(uint64(limit)))
		d.limit = limit
	} else {
		err = d.Reset(in)
	}
	if err == nil {
		dst, err = readLimit(dst, d, limit)
	}
	d.Reset(nil)
	zstdPool.Put(d)
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) ||
		errors.Is(err, zstd.ErrWindowSizeExceeded) && limit < zstdWindowMax {
		// Below 128 MiB the limit also caps the window; above, a
		// too-large window is what libzstd rejects too (EINVAL).
		err = fmt.Errorf("%w (%v)", ErrTooLarge, err)
	}
	return dst, err
}

var imagePool sync.Pool // of *[]byte

func getImageBuf() *[]byte {
	if p, ok := imagePool.Get().(*[]byte); ok {
		return p
	}
	return new([]byte)
}

func putImageBuf(p *[]byte, b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledImage {
		return
	}
	*p = b[:0]
	imagePool.Put(p)
}
