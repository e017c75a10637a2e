# deps: modprobe with dependencies and soft dependencies (btrfs pulls in
# its dependencies, four on 6.1 and three on 6.12, and the crypto modules
# its softdeps name), lsmod against kmod's lsmod, and modprobe -r removing
# the chain, each printed as kmod's modprobe -v prints it and left in the
# same state kmod's modprobe leaves. btrfs loads once each way: under tcg
# that takes seconds (raid6_pq and xor time their algorithms at load).
keep() { for _s in out err rc; do cp /tmp/ours.$_s /tmp/$1.$_s; done; }
kept() { for _s in out err rc; do cp /tmp/$1.$_s /tmp/ours.$_s; done; }

ours modprobe -v btrfs
keep load
rc_is modprobe-btrfs 0
expect_loaded btrfs-and-deps $BTRFS_CHAIN
mine=$(modset)
same lsmod-after-btrfs lsmod
ours modprobe -v -r btrfs
keep unload
rc_is modprobe-r-btrfs 0
expect_unloaded modprobe-r-chain $BTRFS_CHAIN
mine_r=$(modset)
unload_all

theirs modprobe -v btrfs
kept load
compare modprobe-v-btrfs
same_state modprobe-btrfs-like-kmod "$mine" "$(modset)"
theirs modprobe -v -r btrfs
kept unload
compare modprobe-v-r-btrfs
same_state modprobe-r-btrfs-like-kmod "$mine_r" "$(modset)"
unload_all

# -a loads several.
ours modprobe -a dummy loop
rc_is modprobe-a 0
expect_loaded modprobe-a-loaded dummy loop
same modprobe-r-a modprobe -r -a dummy loop
