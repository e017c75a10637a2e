S 
W 
S a
W a
S x
W x
S xa
W xa
S x223xx
W x223xx
S ]ac
W ]ac
S a0
W a0
S x2
W x2
S c
W c
S ?02
W ?02
S 3-1:a1
W 3-1:a1
S c:a
W c:a
S *]!?]
W *]!?]
S *!1[!c
W *!1[!c
S xx
W xx
S -xx
W -xx
S :*-**b[
W :*-**b[
D 
D alias 
