#!/bin/sh
# Regenerates the small .xz files FuzzDecode and TestStored start from,
# with XZ Utils (5.4.1 made the committed ones). Each is named for what
# it exercises; all but incompressible.xz (2000 random bytes) decode to
# text. bcj-x86.xz and delta.xz use filters the decoder refuses.
set -e
cd "$(dirname "$0")"
# A few KiB that compress, then some that do not.
{ for i in $(seq 1 60); do echo "alias pci:v00008086d0000$i* e1000e depends=ptp,crc32"; done
  head -c 3000 /dev/urandom | od -An -tx1 | head -c 1500; } > text
xz -c --check=crc32 --lzma2=dict=1MiB text > crc32.xz
xz -c --check=crc64 text > crc64.xz
xz -c --check=sha256 text > sha256.xz
xz -c --check=none text > none.xz
xz -c -0 text > preset0.xz
xz -c -9e text > preset9e.xz
xz -c --lzma2=lc=0,lp=4,pb=0 text > lc0lp4pb0.xz
xz -c --lzma2=lc=4,lp=0,pb=4 text > lc4lp0pb4.xz
xz -c -T2 --block-size=1024 text > blocks-with-sizes.xz
xz -c --block-size=700 text > blocks.xz
head -c 2000 /dev/urandom > random
xz -c random > incompressible.xz
: | xz -c > empty.xz
{ cat crc32.xz; head -c 8 /dev/zero; cat sha256.xz; head -c 4 /dev/zero; } > concatenated-padded.xz
xz -c --x86 --lzma2 text > bcj-x86.xz
xz -c --delta=dist=4 --lzma2 text > delta.xz
rm random
