// Package dist holds what a distribution installs beside the binary (the
// systemd unit, OpenRC and sysvinit scripts for kerneld, the
// initramfs-tools and mkinitcpio hooks, the Debian package's control
// files, kmod's default configuration) and proves it the way a
// distribution would use it: mkdeb.sh builds the Debian package with
// dpkg-deb alone, and the tests install it with apt into throwaway
// Debian 12 and 13 roots (mkroot.sh, debootstrap), where it replaces
// kmod, the real update-initramfs builds an image with modutils in it,
// systemd-analyze accepts the unit, and the Debian 13 root, made into an
// ext4 disk image, boots in qemu from that image with kerneld started by
// systemd.
//
// The package has no Go code of its own to import: its files are data,
// and its tests are the proof.
package dist
