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
S ]
W ]
S 1
W 1
S -0
W -0
S ?*[2c?
W ?*[2c?
S :b[:30x
W :b[:30x
S -a1?!
W -a1?!
S x
W x
S 1z
W 1z
S z:-
W z:-
S 3ab?-b
W 3ab?-b
S 0
W 0
S ?311
W ?311
S [y1
W [y1
D 
D alias 
