package elfmod

import "bytes"

// writable returns the private copy of the image that the Strip methods
// modify, making it on first use (as kmod copies its mmap).
func (m *Module) writable() ([]byte, error) {
	if m.changed == nil {
		img, err := m.Image()
		if err != nil {
			return nil, err
		}
		m.changed = bytes.Clone(img)
	}
	return m.changed, nil
}

// StripSection clears SHF_ALLOC in the header of the first section called
// name, so the kernel does not load it: kmod_elf_strip_section, used with
// name "__versions" for modprobe --force-modversion when finit_module cannot
// be used. Image returns the modified copy afterwards. A missing section
// gives an error matching ErrNoSection; kmod only logs it.
func (m *Module) StripSection(name string) error {
	if m.closed {
		return errClosed
	}
	i := m.find(name)
	if i < 0 {
		return &sectionError{m.path, name + " section"}
	}
	img, err := m.writable()
	if err != nil {
		return err
	}
	if m.class == Class32 {
		h := img[m.shoff+uint64(i)*40+8:]
		v := m.u32(h) &^ shfAlloc
		m.ByteOrder().PutUint32(h, v)
	} else {
		h := img[m.shoff+uint64(i)*64+8:]
		v := m.u64(h) &^ shfAlloc
		m.ByteOrder().PutUint64(h, v)
	}
	return nil
}

// StripVermagic zeroes the "vermagic=..." string of .modinfo, as
// kmod_elf_strip_vermagic does for modprobe --force-vermagic. Only string
// starts are considered and a match must begin at least 10 bytes before the
// end of the section. Image returns the modified copy afterwards. A missing
// .modinfo or vermagic gives an error matching ErrNoSection; an empty
// .modinfo is not an error.
func (m *Module) StripVermagic() error {
	if m.closed {
		return errClosed
	}
	si := m.known[secModinfo]
	if si < 0 {
		return &sectionError{m.path, ".modinfo section"}
	}
	off, size := m.sects[si].off, m.sects[si].size
	if size == 0 {
		return nil
	}
	img, err := m.writable()
	if err != nil {
		return err
	}
	for size > 1 && img[off] == 0 {
		off++
		size--
	}
	if size <= 1 {
		return nil
	}
	const key = "vermagic="
	for i := uint64(0); i < size; i++ {
		if img[off+i] == 0 || i+1 >= size || i+uint64(len(key)) >= size {
			continue
		}
		// The string may run past the section, as strlen would.
		s := img[off+i:]
		if n := bytes.IndexByte(s, 0); n >= 0 {
			s = s[:n]
		}
		if !bytes.HasPrefix(s, []byte(key)) {
			i += uint64(len(s))
			continue
		}
		clear(s)
		return nil
	}
	return &sectionError{m.path, "vermagic in .modinfo"}
}
