S k
W k
S ka
W ka
S 
W 
S kk
W kk
S kka
W kka
S :0:
W :0:
S z2-[2
W z2-[2
S 31ax]3
W 31ax]3
S a]0c
W a]0c
S 0--[[
W 0--[[
S xab!0
W xab!0
S y[
W y[
S -*2
W -*2
S 3:13:zb
W 3:13:zb
S xzz
W xzz
S 23
W 23
S z0y!0?
W z0y!0?
D 
D alias 
