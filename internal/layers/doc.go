// Package layers holds no code: its test reads `go list -deps` over the
// whole module and fails when a package imports across a layer the README
// draws (pure elfmod, modconf and moddep; system calls in kernel/... alone;
// thin applets that import no other applet; main over the applets).
package layers
