# compress: .ko.gz, .ko.xz and .ko.zst modules through insmod and
# modprobe, and the load path each takes, as kmod 34.2 takes it. Debian
# 12's kernel decompresses nothing (no CONFIG_MODULE_DECOMPRESS): every
# compressed module is unpacked here and handed to init_module. Debian
# 13's decompresses .ko.xz itself (CONFIG_MODULE_COMPRESS_XZ, and
# /sys/module/compression says so): a .ko.xz goes to finit_module with
# MODULE_INIT_COMPRESSED_FILE, and only .ko.zst and .ko.gz are unpacked
# here. Debian builds kmod without zlib, so it cannot load a .ko.gz where
# the kernel does not decompress gzip itself; modutils can, on purpose
# (Debian 12's and other distributions' trees ship .ko.gz).
case $KERNEL in
deb12) want=none ;;
deb13) want=xz ;;
esac
got=$(cat /sys/module/compression 2>/dev/null || echo none)
if [ "$got" = "$want" ]; then ok kernel-decompresses-$want; else fail kernel-decompresses-$want "/sys/module/compression says '$got'"; fi

for f in dummy.ko dummy.ko.gz dummy.ko.xz dummy.ko.zst; do
	ours insmod /opt/ko/$f
	rc_is insmod-$f 0
	expect_loaded insmod-$f-loaded dummy
	ours rmmod dummy
	rc_is rmmod-after-$f 0
done
for m in isofs minix nls_utf8; do
	ours modprobe $m
	rc_is modprobe-$m 0
	expect_loaded modprobe-$m-loaded $m
	ours modprobe -r $m
	expect_unloaded modprobe-r-$m $m
done
same_fresh kmod-like-xz modprobe -v isofs
/sbin/modprobe -a isofs minix nls_utf8
same lsmod-compressed lsmod
unload_all

# Which system call loads what, seen through a seccomp filter (vmhelper
# deny) that fails one of them: kmod 34.2 and modutils, under the same
# filter, load the same files and fail on the others with the same
# messages and exit codes.
# load NAME WANT APPLET ARGS...: ours exits WANT, and kmod's as ours.
load() {
	_n=$1 _w=$2
	shift 2
	same_fresh "$_n" "$@"
	rc_is "$_n-exit" "$_w"
}
case $KERNEL in
deb12) xz_finit=1 xz_init=0 ;;
deb13) xz_finit=0 xz_init=1 ;;
esac
# finit_module only: an uncompressed module, and on 6.12 a .ko.xz, which
# loads only with MODULE_INIT_COMPRESSED_FILE.
WRAP="/bin/vmhelper deny init_module=EPERM"
load finit-only-ko 0 insmod /opt/ko/dummy.ko
load finit-only-xz $xz_finit insmod /opt/ko/dummy.ko.xz
load finit-only-modprobe-xz $xz_finit modprobe -v isofs
# init_module only: what is unpacked here (on 6.1, the .ko.xz too); an
# uncompressed module fails, as only ENOSYS means "try init_module".
WRAP="/bin/vmhelper deny finit_module=EACCES"
load init-only-ko 1 insmod /opt/ko/dummy.ko
load init-only-xz $xz_init insmod /opt/ko/dummy.ko.xz
load init-only-zst 0 insmod /opt/ko/dummy.ko.zst
load init-only-modprobe-zst 0 modprobe -v minix
# A kernel without finit_module (ENOSYS): everything through init_module,
# the .ko.xz unpacked here on 6.12 too.
WRAP="/bin/vmhelper deny finit_module=ENOSYS"
load no-finit-ko 0 insmod /opt/ko/dummy.ko
load no-finit-xz 0 insmod /opt/ko/dummy.ko.xz

# .ko.gz: unpacked here and given to init_module on both kernels, where
# kmod 34.2 fails.
WRAP="/bin/vmhelper deny finit_module=EACCES"
ours insmod /opt/ko/dummy.ko.gz
rc_is init-only-gz 0
unload_all
WRAP=
theirs insmod /opt/ko/dummy.ko.gz
if [ "$(cat /tmp/kmod.rc)" != 0 ]; then ok kmod-cannot-gz; else fail kmod-cannot-gz "kmod 34.2 loaded a .ko.gz"; fi
echo "kmod 34.2 on .ko.gz: exit $(cat /tmp/kmod.rc): $(cat /tmp/kmod.err)"
unload_all

dmesg | sed 's/^/dmesg: /'
# Nothing of this warned or tainted the kernel.
if [ "$(cat /proc/sys/kernel/tainted)" = 0 ]; then ok untainted; else fail untainted "/proc/sys/kernel/tainted is $(cat /proc/sys/kernel/tainted)"; fi
dmesg | grep -i -E 'taint|warn|fail|error|invalid|decompress|verif|sign|bug' >/tmp/dmesg.bad
if [ ! -s /tmp/dmesg.bad ]; then ok dmesg-clean; else fail dmesg-clean "$(oneline /tmp/dmesg.bad)"; fi

# The choice follows what the kernel says it decompresses, as kmod's does:
# told (by a file bound over /sys/module/compression) that it reads zstd,
# or gzip, both tools hand it a .ko.zst, or .ko.gz, through finit_module
# and the kernel, which reads only xz, refuses it; the .ko.xz it is not
# said to read they unpack here. (Only 6.12 has the file to bind over.)
if [ "$KERNEL" = deb13 ]; then
	WRAP=
	echo zstd >/tmp/compression
	mount --bind /tmp/compression /sys/module/compression
	load told-zstd-zst 1 insmod /opt/ko/dummy.ko.zst
	load told-zstd-xz 0 insmod /opt/ko/dummy.ko.xz
	echo gzip >/tmp/compression
	load told-gzip-gz 1 insmod /opt/ko/dummy.ko.gz
	load told-gzip-xz 0 insmod /opt/ko/dummy.ko.xz
	umount /sys/module/compression
fi
