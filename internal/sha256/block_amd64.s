#include "textflag.h"

// The SHA extensions' rounds, four at a time: X0 (SHA256RNDS2's implicit
// operand) holds the next four words plus their constants, X1 and X2 the
// state as ABEF and CDGH, X3-X6 the last sixteen words of the message
// schedule, X7 scratch, X8 the byte-order mask, X9 and X10 the state
// before the block, X11 scratch for the state's shuffles.

DATA k256<>+0x00(SB)/8, $0x71374491428a2f98
DATA k256<>+0x08(SB)/8, $0xe9b5dba5b5c0fbcf
DATA k256<>+0x10(SB)/8, $0x59f111f13956c25b
DATA k256<>+0x18(SB)/8, $0xab1c5ed5923f82a4
DATA k256<>+0x20(SB)/8, $0x12835b01d807aa98
DATA k256<>+0x28(SB)/8, $0x550c7dc3243185be
DATA k256<>+0x30(SB)/8, $0x80deb1fe72be5d74
DATA k256<>+0x38(SB)/8, $0xc19bf1749bdc06a7
DATA k256<>+0x40(SB)/8, $0xefbe4786e49b69c1
DATA k256<>+0x48(SB)/8, $0x240ca1cc0fc19dc6
DATA k256<>+0x50(SB)/8, $0x4a7484aa2de92c6f
DATA k256<>+0x58(SB)/8, $0x76f988da5cb0a9dc
DATA k256<>+0x60(SB)/8, $0xa831c66d983e5152
DATA k256<>+0x68(SB)/8, $0xbf597fc7b00327c8
DATA k256<>+0x70(SB)/8, $0xd5a79147c6e00bf3
DATA k256<>+0x78(SB)/8, $0x1429296706ca6351
DATA k256<>+0x80(SB)/8, $0x2e1b213827b70a85
DATA k256<>+0x88(SB)/8, $0x53380d134d2c6dfc
DATA k256<>+0x90(SB)/8, $0x766a0abb650a7354
DATA k256<>+0x98(SB)/8, $0x92722c8581c2c92e
DATA k256<>+0xa0(SB)/8, $0xa81a664ba2bfe8a1
DATA k256<>+0xa8(SB)/8, $0xc76c51a3c24b8b70
DATA k256<>+0xb0(SB)/8, $0xd6990624d192e819
DATA k256<>+0xb8(SB)/8, $0x106aa070f40e3585
DATA k256<>+0xc0(SB)/8, $0x1e376c0819a4c116
DATA k256<>+0xc8(SB)/8, $0x34b0bcb52748774c
DATA k256<>+0xd0(SB)/8, $0x4ed8aa4a391c0cb3
DATA k256<>+0xd8(SB)/8, $0x682e6ff35b9cca4f
DATA k256<>+0xe0(SB)/8, $0x78a5636f748f82ee
DATA k256<>+0xe8(SB)/8, $0x8cc7020884c87814
DATA k256<>+0xf0(SB)/8, $0xa4506ceb90befffa
DATA k256<>+0xf8(SB)/8, $0xc67178f2bef9a3f7
// The linker aligns a 256-byte symbol to 32 bytes, as PADDD's memory
// operand must be to 16.
GLOBL k256<>(SB), RODATA|NOPTR, $256

// PSHUFB mask: each 32-bit word big-endian.
DATA flip<>+0x00(SB)/8, $0x0405060700010203
DATA flip<>+0x08(SB)/8, $0x0c0d0e0f08090a0b
GLOBL flip<>(SB), RODATA|NOPTR, $16

// LOAD takes the message's words 4i-4i+3 (at off) into X0 and W.
#define LOAD(off, W) \
	MOVOU off(SI), X0 \
	PSHUFB X8, X0 \
	MOVO X0, W

// ROUNDS runs four rounds on X0's words plus the constants at koff.
#define ROUNDS(koff) \
	PADDD koff(AX), X0 \
	SHA256RNDS2 X0, X1, X2 \
	PSHUFD $0x0e, X0, X0 \
	SHA256RNDS2 X0, X2, X1

// NEXT finishes the schedule's words in N (begun by SHA256MSG1) from
// the last eight, in P and W.
#define NEXT(P, W, N) \
	MOVO W, X7 \
	PALIGNR $4, P, X7 \
	PADDD X7, N \
	SHA256MSG2 W, N

// func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL subleaf+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func blockSHA(h *[8]uint32, p []byte)
TEXT ·blockSHA(SB), NOSPLIT, $0-32
	MOVQ h+0(FP), DI
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), DX
	SHRQ $6, DX
	JZ done
	MOVOU (DI), X1 // h0-h3: DCBA, h0 in the low word
	MOVOU 16(DI), X2 // h4-h7: HGFE
	PSHUFD $0xb1, X1, X11 // CDAB
	PSHUFD $0x1b, X2, X2 // EFGH
	MOVO X11, X1
	PALIGNR $8, X2, X1 // ABEF
	PBLENDW $0xf0, X11, X2 // CDGH
	MOVOU flip<>(SB), X8
	LEAQ k256<>(SB), AX

loop:
	MOVO X1, X9
	MOVO X2, X10
	LOAD(0, X3); ROUNDS(0)
	LOAD(16, X4); ROUNDS(16); SHA256MSG1 X4, X3
	LOAD(32, X5); ROUNDS(32); SHA256MSG1 X5, X4
	LOAD(48, X6); ROUNDS(48); NEXT(X5, X6, X3); SHA256MSG1 X6, X5
	MOVO X3, X0; ROUNDS(64); NEXT(X6, X3, X4); SHA256MSG1 X3, X6
	MOVO X4, X0; ROUNDS(80); NEXT(X3, X4, X5); SHA256MSG1 X4, X3
	MOVO X5, X0; ROUNDS(96); NEXT(X4, X5, X6); SHA256MSG1 X5, X4
	MOVO X6, X0; ROUNDS(112); NEXT(X5, X6, X3); SHA256MSG1 X6, X5
	MOVO X3, X0; ROUNDS(128); NEXT(X6, X3, X4); SHA256MSG1 X3, X6
	MOVO X4, X0; ROUNDS(144); NEXT(X3, X4, X5); SHA256MSG1 X4, X3
	MOVO X5, X0; ROUNDS(160); NEXT(X4, X5, X6); SHA256MSG1 X5, X4
	MOVO X6, X0; ROUNDS(176); NEXT(X5, X6, X3); SHA256MSG1 X6, X5
	MOVO X3, X0; ROUNDS(192); NEXT(X6, X3, X4); SHA256MSG1 X3, X6
	MOVO X4, X0; ROUNDS(208); NEXT(X3, X4, X5)
	MOVO X5, X0; ROUNDS(224); NEXT(X4, X5, X6)
	MOVO X6, X0; ROUNDS(240)
	PADDD X9, X1
	PADDD X10, X2
	ADDQ $64, SI
	DECQ DX
	JNZ loop

	PSHUFD $0x1b, X1, X11 // FEBA
	PSHUFD $0xb1, X2, X2 // DCHG
	MOVO X11, X1
	PBLENDW $0xf0, X2, X1 // DCBA
	PALIGNR $8, X11, X2 // HGFE
	MOVOU X1, (DI)
	MOVOU X2, 16(DI)

done:
	RET
