#include "textflag.h"
#include "go_asm.h"

// func lzmaLoop(d *lzmaDec)
//
// lzma.go's decoding loop, symbol after symbol, in assembly: see
// lzma_amd64.go. It returns at the bounds the Go loop checks first
// (pos >= stop, ip > inLen), where the Go loop takes over, and at the
// errors, which d.r.status names for the Go loop to report.
//
// Registers kept across the loop:
//	R8   d (probabilities, input, d.r)
//	R9   &out[dictStart]
//	R10  rel, the position from dictStart (pos - dictStart)
//	R11  state
//	CX   range
//	DX   code
//	DI   &d.in[ip]
// and AX, BX, SI, R12-R15 are scratch. The bits of literals and bit
// trees are decoded without branches: the bit is the carry of
// code - bound, and every choice it makes is a CMOV or an SBB (as
// liblzma's x86-64 assembly does); the decisions between literal, match
// and the reps branch, as theirs do.

#define V_OUT (lzmaDec_r+loopRegs_out)(R8)
#define V_DICTSTART (lzmaDec_r+loopRegs_dictStart)(R8)
#define V_POS (lzmaDec_r+loopRegs_pos)(R8)
#define V_IP (lzmaDec_r+loopRegs_ip)(R8)
#define V_INEND (lzmaDec_r+loopRegs_inEnd)(R8)
#define V_RELSTOP (lzmaDec_r+loopRegs_relStop)(R8)
#define V_RELEND (lzmaDec_r+loopRegs_relEnd)(R8)
#define V_RNG (lzmaDec_r+loopRegs_rng)(R8)
#define V_CODE (lzmaDec_r+loopRegs_code)(R8)
#define V_STATE (lzmaDec_r+loopRegs_state)(R8)
#define V_REP0 (lzmaDec_r+loopRegs_rep0)(R8)
#define V_REP1 (lzmaDec_r+loopRegs_rep1)(R8)
#define V_REP2 (lzmaDec_r+loopRegs_rep2)(R8)
#define V_REP3 (lzmaDec_r+loopRegs_rep3)(R8)
#define V_LITMASK (lzmaDec_r+loopRegs_litMask)(R8)
#define V_LITMUL (lzmaDec_r+loopRegs_litMul)(R8)
#define V_PBMASK (lzmaDec_r+loopRegs_pbMask)(R8)
#define V_DICT (lzmaDec_r+loopRegs_dict)(R8)
#define V_LEN (lzmaDec_r+loopRegs_scratch+0)(R8)
#define V_DIST (lzmaDec_r+loopRegs_scratch+4)(R8)
#define V_LIM (lzmaDec_r+loopRegs_scratch+8)(R8)
#define V_KIND (lzmaDec_r+loopRegs_scratch+12)(R8)
#define V_STATUS (lzmaDec_r+loopRegs_status)(R8)
#define V_SAVE9 (lzmaDec_r+loopRegs_scratch+16)(R8)
#define V_SAVE10 (lzmaDec_r+loopRegs_scratch+24)(R8)
#define V_OFF0 (lzmaDec_r+loopRegs_scratch+32)(R8)

// NORM normalises the range decoder: below 2^24 the range and the code
// shift up a byte, and the next input byte enters the code's low byte (t
// is unused). DI points into d.in with no mask, unlike the Go loop's
// index: the loop returns before a symbol that starts past the chunk,
// a symbol reads at most a byte a bit (fewer than 64 of them), and d.in
// is twice the largest chunk.
#define NORM(t) \
	CMPL CX, $0x1000000; \
	JAE 5(PC); \
	SHLL $8, DX; \
	MOVB (DI), DX; \
	SHLL $8, CX; \
	INCQ DI

// BITLOAD starts a branching bit of probability p: AX = *p, R14 = bound,
// and the flags of code - bound (AE: the bit is 1). BIT0 and BIT1 finish
// it either way.
#define BITLOAD(p) \
	MOVWLZX p, AX; \
	MOVL CX, R14; \
	SHRL $11, R14; \
	IMULL AX, R14; \
	CMPL DX, R14

#define BIT0(p) \
	MOVL R14, CX; \
	MOVL $2048, R15; \
	SUBL AX, R15; \
	SHRL $5, R15; \
	ADDL R15, AX; \
	MOVW AX, p; \
	NORM(R14)

#define BIT1(p) \
	SUBL R14, CX; \
	SUBL R14, DX; \
	MOVL AX, R15; \
	SHRL $5, R15; \
	SUBL R15, AX; \
	MOVW AX, p; \
	NORM(R14)

// BITCMOV decodes a bit of probability v without a branch: the carry of
// code - bound is set when it is 0, and the range and code are chosen by
// CMOVs. The flags stay for BITADAPT, which adapts the probability v,
// stores it at SI[BX] and shifts the bit into the symbol BX. The
// probability moves by (2048 - v) >> 5 up or v >> 5 down, both as
// v - (t >> 5) with t v - 2017 or v (arithmetic shift).
#define BITCMOV(v) \
	MOVL CX, R14; \
	SHRL $11, CX; \
	IMULL v, CX; \
	SUBL CX, R14; \
	MOVL DX, R15; \
	SUBL CX, DX; \
	CMOVLCC R14, CX; \
	CMOVLCS R15, DX

#define BITADAPT(v) \
	LEAL -2017(v), R14; \
	CMOVLCC v, R14; \
	MOVL BX, R15; \
	LEAL (BX)(BX*1), BX; \
	SBBL $-1, BX; \
	SARL $5, R14; \
	SUBL R14, v; \
	MOVW v, (SI)(R15*2)

// TREESTEP decodes one bit of a bit tree at SI, symbol BX, whose
// probability is in va, and loads the next one into vb, having loaded
// both children's while the bit decodes (va and vb alternate, which
// saves a move). TREELAST is the last level's, which loads nothing.
#define TREESTEP(va, vb) \
	MOVWLZX (SI)(BX*4), vb; \
	MOVWLZX 2(SI)(BX*4), R13; \
	BITCMOV(va); \
	CMOVLCC R13, vb; \
	BITADAPT(va); \
	NORM(R14)

#define TREELAST(v) \
	BITCMOV(v); \
	BITADAPT(v); \
	NORM(R14)

// REVSTEP decodes one bit of a reverse bit tree at SI, symbol BX: the
// bit adds the mask R13 to the value R12.
#define REVSTEP \
	MOVWLZX (SI)(BX*2), AX; \
	BITCMOV(AX); \
	LEAL (R12)(R13*1), R14; \
	CMOVLCC R14, R12; \
	BITADAPT(AX); \
	NORM(R14)

// MLSTEP decodes one bit of a matched literal (see matchedlit): BX is
// the symbol, R12 the offset, R14 the match byte with a 1 above it,
// shifted so that its bit 8 is this bit's (and R14 >> 8 the symbol
// after this bit if it agrees), AX the probability. Into R9 and R10 go the
// candidates for the next probability if this bit is 1 and if it is 0:
// sym's children, or the probability where the bits agree when the bit
// keeps them agreeing (it is 1 and mb is, or it is 0 and the offset
// without mb is not 0). All three indices stay below 0x400.
#define MLSTEP \
	MOVL R14, R15; \
	SHRL $8, R15; \
	LEAL (R14)(R14*1), R11; \
	ANDL $0x100, R11; \
	LEAL 0x100(R15)(R11*1), R15; \
	MOVWLZX (SI)(R15*2), R15; \
	MOVWLZX 2(SI)(BX*4), R9; \
	MOVWLZX (SI)(BX*4), R10; \
	MOVL R14, R13; \
	ANDL R12, R13; \
	CMOVLNE R15, R9; \
	XORL R13, R12; \
	CMOVLNE R15, R10; \
	MOVL R12, V_OFF0; \
	LEAL (R12)(R13*2), R12; \
	ADDL BX, R12; \
	MOVL CX, R15; \
	SHRL $11, CX; \
	IMULL AX, CX; \
	SUBL CX, R15; \
	MOVL DX, R11; \
	SUBL CX, DX; \
	CMOVLCC R15, CX; \
	CMOVLCS R11, DX; \
	CMOVLCS V_OFF0, R13; \
	CMOVLCS R10, R9; \
	LEAL -2017(AX), R15; \
	CMOVLCC AX, R15; \
	LEAL (BX)(BX*1), BX; \
	SBBL $-1, BX; \
	SARL $5, R15; \
	SUBL R15, AX; \
	MOVW AX, (SI)(R12*2); \
	MOVL R9, AX; \
	MOVL R13, R12; \
	ADDL R14, R14; \
	NORM(R15)

// TREEn decodes an n-bit symbol from the bit tree at SI (2^(n+1)
// entries, the last level's children loaded unused) into BX, plus 2^n.
#define TREEINIT \
	MOVL $1, BX; \
	MOVWLZX 2(SI), AX

#define TREE2 TREESTEP(AX, R12); TREESTEP(R12, AX)

#define TREE3 TREEINIT; TREE2; TREELAST(AX)

#define TREE6 TREEINIT; TREE2; TREE2; TREESTEP(AX, R12); TREELAST(R12)

#define TREE8 TREEINIT; TREE2; TREE2; TREE2; TREESTEP(AX, R12); TREELAST(R12)

// STATE sets the state to a below 7, else to b.
#define STATE(a, b) \
	MOVL $a, BX; \
	MOVL $b, R14; \
	CMPL R11, $7; \
	CMOVLCC R14, BX; \
	MOVL BX, R11

TEXT ·lzmaLoop(SB), NOSPLIT, $0-8
	MOVQ d+0(FP), R8
	MOVQ V_DICTSTART, AX
	MOVQ V_OUT, R9
	ADDQ AX, R9
	MOVQ V_POS, R10
	SUBQ AX, R10
	MOVL V_STATE, R11
	MOVL V_RNG, CX
	MOVL V_CODE, DX
	LEAQ lzmaDec_in(R8), DI
	ADDQ V_IP, DI

loop:
	CMPQ R10, V_RELSTOP
	JGE done
	CMPQ DI, V_INEND
	JHI done
	// R12 = state<<4 | posState, for isMatch and isRep0Long.
	MOVL R10, R12
	ANDL V_PBMASK, R12
	MOVL R11, R13
	SHLL $4, R13
	ORL R13, R12
	BITLOAD(lzmaDec_isMatch(R8)(R12*2))
	JAE match
	BIT0(lzmaDec_isMatch(R8)(R12*2))

	// A literal. Its probabilities are lit[(rel&lpMask)<<lc +
	// prev>>(8-lc)], 2048 bytes each; the byte offset is computed
	// without shifts by lc (CL holds the range) as ((rel<<8 | prev) &
	// litMask) * 2^lc * 8 with the low 11 bits cleared, below 16 * 2048
	// as lc + lp <= 4.
	XORL AX, AX
	TESTL R10, R10
	JEQ 2(PC)
	MOVBLZX -1(R9)(R10*1), AX
	MOVL R10, SI
	SHLL $8, SI
	ORL AX, SI
	ANDL V_LITMASK, SI
	IMULL V_LITMUL, SI
	ANDL $-2048, SI
	LEAQ lzmaDec_lit(R8)(SI*1), SI
	CMPL R11, $7
	JAE matchedlit
	TREE8
	MOVB BX, (R9)(R10*1)
	INCQ R10
	// state < 7: 0 below 4, else state - 3.
	LEAL -3(R11), AX
	XORL BX, BX
	CMPL R11, $4
	CMOVLCS BX, AX
	MOVL AX, R11
	JMP loop

matchedlit:
	// After a match, the byte at rep0 predicts this one until their
	// bits first differ. Each bit's probability is at offset + mb + sym:
	// the offset is 0x100 while the bits agree, then 0, and mb the
	// match byte's bit under it. As in the bit trees, the next bit's
	// probability is loaded while this one decodes, here from three
	// candidates: sym's children (the offset 0 after this bit) and the
	// one where the bits still agree; two CMOVs before the bit make the
	// three two, and one after it picks. The state, the output position
	// and base wait in memory for the registers.
	MOVL V_REP0, AX
	CMPL AX, R10
	JAE errdist
	MOVQ R10, R14
	SUBQ AX, R14
	MOVBLZX -1(R9)(R14*1), R14
	MOVL R11, V_STATE
	MOVQ R9, V_SAVE9
	MOVQ R10, V_SAVE10
	ORL $0x100, R14
	SHLL $1, R14
	MOVL $1, BX
	MOVL $0x100, R12
	MOVL R14, R15
	ANDL $0x100, R15
	MOVWLZX 0x202(SI)(R15*2), AX
	MLSTEP
	MLSTEP
	MLSTEP
	MLSTEP
	MLSTEP
	MLSTEP
	MLSTEP
	MLSTEP
	MOVQ V_SAVE9, R9
	MOVQ V_SAVE10, R10

	MOVB BX, (R9)(R10*1)
	INCQ R10
	// state >= 7: state - 3 below 10, else state - 6.
	MOVL V_STATE, R11
	LEAL -3(R11), AX
	LEAL -6(R11), BX
	CMPL R11, $10
	CMOVLCC BX, AX
	MOVL AX, R11
	JMP loop

match:
	BIT1(lzmaDec_isMatch(R8)(R12*2))
	BITLOAD(lzmaDec_isRep(R8)(R11*2))
	JAE rep
	BIT0(lzmaDec_isRep(R8)(R11*2))
	// A match with a new distance.
	STATE(7, 10)
	MOVL $0, V_KIND
	LEAQ lzmaDec_matchLen(R8), SI

length:
	// The length at SI's lenProbs, minus minMatch, into BX.
	BITLOAD(lenProbs_choice(SI))
	JAE len1
	BIT0(lenProbs_choice(SI))
	MOVL R10, BX
	ANDL V_PBMASK, BX
	SHLL $4, BX
	LEAQ lenProbs_low(SI)(BX*1), SI
	TREE3
	SUBL $8, BX
	JMP lendone

len1:
	BIT1(lenProbs_choice(SI))
	BITLOAD(lenProbs_choice2(SI))
	JAE len2
	BIT0(lenProbs_choice2(SI))
	MOVL R10, BX
	ANDL V_PBMASK, BX
	SHLL $4, BX
	LEAQ lenProbs_mid(SI)(BX*1), SI
	TREE3
	JMP lendone

len2:
	BIT1(lenProbs_choice2(SI))
	LEAQ lenProbs_high(SI), SI
	TREE8
	SUBL $240, BX

lendone:
	CMPL V_KIND, $0
	JNE copy

	// The distance: a slot from the bit tree of min(length, 3).
	MOVL BX, V_LEN
	MOVL $3, R12
	CMPL BX, $3
	CMOVLHI R12, BX
	SHLL $8, BX
	LEAQ lzmaDec_posSlot(R8)(BX*1), SI
	TREE6
	SUBL $64, BX
	MOVL BX, R12
	CMPL BX, $4
	JB disthave

	// Slot sl >= 4: (2 | sl&1) << nd, nd = sl/2 - 1, plus nd more bits.
	// Shifts by a count need CL, so the range steps aside into R15.
	SHRL $1, R12
	DECL R12
	MOVL BX, R13
	ANDL $1, R13
	ORL $2, R13
	MOVL CX, R15
	MOVL R12, CX
	SHLL CX, R13
	MOVL R15, CX
	MOVL R13, V_DIST
	CMPL BX, $14
	JAE direct
	// Below slot 14, the nd bits from a reverse bit tree in posSpecial,
	// at dist - sl (laid out as lzma.go's decode says).
	SUBL BX, R13
	LEAQ lzmaDec_posSpecial(R8)(R13*2), SI
	MOVL CX, R15
	MOVL R12, CX
	MOVL $1, R14
	SHLL CX, R14
	MOVL R15, CX
	MOVL R14, V_LIM
	MOVL $1, BX
	XORL R12, R12
	MOVL $1, R13

rev1:
	REVSTEP
	ADDL R13, R13
	CMPL R13, V_LIM
	JB rev1
	ADDL V_DIST, R12
	JMP disthave

direct:
	// nd - 4 direct bits, then four from the align tree.
	LEAL -4(R12), R13
	XORL R12, R12

dloop:
	SHRL $1, CX
	SUBL CX, DX
	MOVL DX, R14
	SARL $31, R14
	MOVL R14, R15
	ANDL CX, R15
	ADDL R15, DX
	LEAL 1(R12)(R12*1), R12
	ADDL R14, R12
	NORM(R14)
	DECL R13
	JNZ dloop

	SHLL $4, R12
	ADDL R12, V_DIST
	LEAQ lzmaDec_align(R8), SI
	MOVL $1, BX
	XORL R12, R12
	MOVL $1, R13

rev2:
	REVSTEP
	ADDL R13, R13
	CMPL R13, $16
	JB rev2
	ADDL V_DIST, R12

disthave:
	CMPL R12, $-1
	JEQ errend
	MOVL V_REP2, AX
	MOVL AX, V_REP3
	MOVL V_REP1, AX
	MOVL AX, V_REP2
	MOVL V_REP0, AX
	MOVL AX, V_REP1
	MOVL R12, V_REP0
	MOVL V_LEN, BX

copy:
	// The match: length BX + minMatch from rep0, checked as the Go
	// loop checks it.
	MOVL V_REP0, AX
	CMPL AX, R10
	JAE errdist
	CMPL AX, V_DICT
	JAE errdist
	ADDL $2, BX
	MOVQ V_RELEND, R14
	SUBQ R10, R14
	CMPQ BX, R14
	JGT errlen
	MOVQ R10, SI
	SUBQ AX, SI
	LEAQ -1(R9)(SI*1), SI
	LEAQ (R9)(R10*1), R13
	ADDQ BX, R10
	XORL R14, R14
	CMPL AX, $7
	JB copy1

copy8:
	// Eight bytes at a time: with a distance of eight or more, each load
	// reads bytes already written, and the up to seven bytes written past
	// the match land in the slack.
	MOVQ (SI)(R14*1), R15
	MOVQ R15, (R13)(R14*1)
	ADDQ $8, R14
	CMPQ R14, BX
	JB copy8
	JMP loop

copy1:
	MOVB (SI)(R14*1), R15
	MOVB R15, (R13)(R14*1)
	INCQ R14
	CMPQ R14, BX
	JB copy1
	JMP loop

rep:
	BIT1(lzmaDec_isRep(R8)(R11*2))
	BITLOAD(lzmaDec_isRepG0(R8)(R11*2))
	JAE repg1
	BIT0(lzmaDec_isRepG0(R8)(R11*2))
	BITLOAD(lzmaDec_isRep0Long(R8)(R12*2))
	JAE rep0long
	BIT0(lzmaDec_isRep0Long(R8)(R12*2))
	// A short rep: one byte from rep0.
	MOVL V_REP0, AX
	CMPL AX, R10
	JAE errdist
	CMPL AX, V_DICT
	JAE errdist
	STATE(9, 11)
	MOVQ R10, SI
	SUBQ AX, SI
	MOVB -1(R9)(SI*1), BX
	MOVB BX, (R9)(R10*1)
	INCQ R10
	JMP loop

rep0long:
	BIT1(lzmaDec_isRep0Long(R8)(R12*2))
	JMP replen

repg1:
	BIT1(lzmaDec_isRepG0(R8)(R11*2))
	BITLOAD(lzmaDec_isRepG1(R8)(R11*2))
	JAE repg2
	BIT0(lzmaDec_isRepG1(R8)(R11*2))
	MOVL V_REP1, AX
	MOVL V_REP0, BX
	MOVL BX, V_REP1
	MOVL AX, V_REP0
	JMP replen

repg2:
	BIT1(lzmaDec_isRepG1(R8)(R11*2))
	BITLOAD(lzmaDec_isRepG2(R8)(R11*2))
	JAE repg3
	BIT0(lzmaDec_isRepG2(R8)(R11*2))
	MOVL V_REP2, AX
	JMP repshift

repg3:
	BIT1(lzmaDec_isRepG2(R8)(R11*2))
	MOVL V_REP3, AX
	MOVL V_REP2, BX
	MOVL BX, V_REP3

repshift:
	MOVL V_REP1, BX
	MOVL BX, V_REP2
	MOVL V_REP0, BX
	MOVL BX, V_REP1
	MOVL AX, V_REP0

replen:
	STATE(8, 11)
	MOVL $1, V_KIND
	LEAQ lzmaDec_repLen(R8), SI
	JMP length

errdist:
	MOVL $const_loopDist, V_STATUS
	JMP save

errlen:
	MOVL $const_loopLen, V_STATUS
	JMP save

errend:
	MOVL $const_loopEnd, V_STATUS
	JMP save

done:
	MOVL $const_loopBound, V_STATUS

save:
	MOVL CX, V_RNG
	MOVL DX, V_CODE
	LEAQ lzmaDec_in(R8), AX
	SUBQ AX, DI
	MOVQ DI, V_IP
	ADDQ V_DICTSTART, R10
	MOVQ R10, V_POS
	MOVL R11, V_STATE
	RET
