S [2cxz13
W [2cxz13
S 
W 
S y?-
W y?-
S :b
W :b
S zay00
W zay00
S [[1!
W [[1!
S ]]]::0z
W ]]]::0z
S z
W z
S ?y0x2
W ?y0x2
S ?z
W ?z
S 3yy
W 3yy
S :-z
W :-z
S [*:[a[
W [*:[a[
S c??b]0c
W c??b]0c
S 3!c0!
W 3!c0!
D 
D alias 
