# deps: modprobe with dependencies and soft dependencies (btrfs pulls in
# its dependencies, four on 6.1 and three on 6.12, and the crypto modules
# its softdeps name), lsmod against kmod's lsmod, and modprobe -r removing
# the chain, each left in the same state kmod's modprobe leaves.
ours modprobe btrfs
rc_is modprobe-btrfs 0
expect_loaded btrfs-and-deps $BTRFS_CHAIN
mine=$(modset)
same lsmod-after-btrfs lsmod
ours modprobe -r btrfs
rc_is modprobe-r-btrfs 0
expect_unloaded modprobe-r-chain $BTRFS_CHAIN
mine_r=$(modset)
unload_all

theirs modprobe btrfs
same_state modprobe-btrfs-like-kmod "$mine" "$(modset)"
theirs modprobe -r btrfs
same_state modprobe-r-btrfs-like-kmod "$mine_r" "$(modset)"
unload_all

# -v prints what it does; -a loads several.
same_fresh modprobe-v-btrfs modprobe -v btrfs
ours modprobe -a dummy loop
rc_is modprobe-a 0
expect_loaded modprobe-a-loaded dummy loop
same modprobe-r-a modprobe -r -a dummy loop
