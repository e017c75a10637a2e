#include "textflag.h"

// func tree(probs *uint16, lim, rng, code uint32, in *chunkIn, ip int) (sym, rng2, code2 uint32, ip2 int)
//
// The bit-tree decoder of lzma.go's treeGo, as liblzma's x86-64 assembly
// writes it: the bit is the carry of code - bound, and every choice it
// makes is a CMOV or an SBB. Both children's probabilities are loaded
// while the bit decodes (the last level's children too, unused: probs
// must have 2*lim entries).
TEXT ·tree(SB), NOSPLIT, $0-64
	MOVQ probs+0(FP), AX
	MOVL lim+8(FP), BX
	MOVL rng+12(FP), CX
	MOVL code+16(FP), DX
	MOVQ in+24(FP), SI
	MOVQ ip+32(FP), DI
	MOVL $1, R8
	MOVWLZX 2(AX), R9

loop:
	MOVWLZX (AX)(R8*4), R12
	MOVWLZX 2(AX)(R8*4), R13
	MOVL CX, R10
	SHRL $11, CX
	IMULL R9, CX
	SUBL CX, R10
	MOVL DX, R11
	SUBL CX, DX
	// CF set: the bit is 0, range = bound, code as it was.
	CMOVLCC R10, CX
	CMOVLCS R11, DX
	CMOVLCC R13, R12
	LEAL -2017(R9), R10
	CMOVLCC R9, R10
	MOVL R8, R11
	LEAL (R8)(R8*1), R8
	SBBL $-1, R8
	SARL $5, R10
	SUBL R10, R9
	MOVW R9, (AX)(R11*2)
	MOVL R12, R9
	CMPL CX, $0x1000000
	JAE normed
	SHLL $8, CX
	SHLL $8, DX
	MOVQ DI, R10
	ANDQ $0x1ffff, R10
	MOVBLZX (SI)(R10*1), R10
	ORL R10, DX
	INCQ DI

normed:
	CMPL R8, BX
	JB loop
	SUBL BX, R8
	MOVL R8, sym+40(FP)
	MOVL CX, rng2+44(FP)
	MOVL DX, code2+48(FP)
	MOVQ DI, ip2+56(FP)
	RET

// func matchedLiteral(probs *[0x400]uint16, match, rng, code uint32, in *chunkIn, ip int) (sym, rng2, code2 uint32, ip2 int)
//
// matchedLiteralGo, as liblzma's x86-64 assembly writes it: BX is the
// offset (0x100 while the literal's bits agree with the match byte's),
// R12 the match byte's bit under it, R13 the match byte, shifted. R8
// holds symbol + offset + bit while the probability is used, and the
// AND with 0x1ff after the shift takes the two back out.
TEXT ·matchedLiteral(SB), NOSPLIT, $0-64
	MOVQ probs+0(FP), AX
	MOVL match+8(FP), R13
	SHLL $1, R13
	MOVL R13, R12
	MOVL rng+12(FP), CX
	MOVL code+16(FP), DX
	MOVQ in+24(FP), SI
	MOVQ ip+32(FP), DI
	MOVL $1, R8
	MOVL $0x100, BX

mloop:
	ADDL BX, R8
	ANDL BX, R12
	ADDL R12, R8
	MOVWLZX (AX)(R8*2), R9
	ADDL R8, R8
	XORL R12, BX
	ADDL R13, R13
	MOVL CX, R10
	SHRL $11, CX
	IMULL R9, CX
	SUBL CX, R10
	MOVL DX, R11
	SUBL CX, DX
	CMOVLCC R10, CX
	LEAL -2017(R9), R10
	CMOVLCS R11, DX
	MOVL R8, R11
	CMOVLCC R9, R10
	CMOVLCC R12, BX
	MOVL R13, R12
	SBBL $-1, R8
	SARL $5, R10
	ANDL $0x1ff, R8
	SUBL R10, R9
	MOVW R9, (AX)(R11*1)
	CMPL CX, $0x1000000
	JAE mnormed
	SHLL $8, CX
	SHLL $8, DX
	MOVQ DI, R10
	ANDQ $0x1ffff, R10
	MOVBLZX (SI)(R10*1), R10
	ORL R10, DX
	INCQ DI

mnormed:
	CMPL R8, $0x100
	JB mloop
	ANDL $0xff, R8
	MOVL R8, sym+40(FP)
	MOVL CX, rng2+44(FP)
	MOVL DX, code2+48(FP)
	MOVQ DI, ip2+56(FP)
	RET
