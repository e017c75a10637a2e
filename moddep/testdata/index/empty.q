S *yb!
W *yb!
S ]
W ]
S 
W 
S ac3:
W ac3:
S ]-
W ]-
S *z
W *z
S **-!1
W **-!1
S y2
W y2
S zza:!-c
W zza:!-c
S *
W *
S 21-
W 21-
S -2y!2?
W -2y!2?
S x
W x
S [*3aaa!
W [*3aaa!
S :x-[]
W :x-[]
D 
D alias 
