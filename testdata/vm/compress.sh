# compress: .ko.gz, .ko.xz and .ko.zst modules, through insmod and
# modprobe. Where the kernel decompresses itself it lists its method in
# /sys/module/compression; Debian 12's kernel does not, so we do.
if [ -r /sys/module/compression ]; then
	echo "kernel decompresses: $(cat /sys/module/compression)"
else
	echo "kernel decompresses: nothing (no CONFIG_MODULE_DECOMPRESS)"
fi
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
# kmod reads .ko.xz and .ko.zst (Debian builds it without zlib): the
# same answers for those.
same_fresh kmod-like-xz modprobe -v isofs
same_fresh kmod-like-zst modprobe -v minix
/sbin/modprobe -a isofs minix nls_utf8
same lsmod-compressed lsmod
