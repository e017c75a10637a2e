S 
W 
S a
W a
S x
W x
S xa
W xa
S -z*1
W -z*1
S a?c
W a?c
S 1z
W 1z
S 2*:1c]b
W 2*:1c]b
S *az:
W *az:
S 31-
W 31-
S y2
W y2
S 1
W 1
S -0xz]a
W -0xz]a
S 0]zay
W 0]zay
S 3x0a?0
W 3x0a?0
S 2
W 2
S yz
W yz
S a[*cb
W a[*cb
D 
D alias 
