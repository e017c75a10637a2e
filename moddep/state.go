package moddep

import "fmt"

// State is a module's state in the running kernel, as
// /sys/module/NAME/initstate tells it, or Builtin for a module compiled
// into the kernel. It is defined here, not in package kernel, because
// resolution asks about it without making system calls itself: the
// kernel package answers through a StateFunc.
type State int

const (
	Live State = iota + 1
	Coming
	Going
	Builtin
)

func (s State) String() string {
	switch s {
	case Live:
		return "live"
	case Coming:
		return "coming"
	case Going:
		return "going"
	case Builtin:
		return "builtin"
	}
	return fmt.Sprintf("State(%d)", int(s))
}
