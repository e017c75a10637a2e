// Package lazy holds values made on first use that cost nothing at
// package initialisation. A package variable set to sync.OnceValue(f) is
// a call, and an allocation, that every start of the multi-call binary
// makes whatever the applet, and the init function it takes is a page of
// code the start touches; a Value with its New set to a function is laid
// out by the linker.
package lazy

import "sync"

// Value is a T made by New on the first Get, once, whoever asks.
type Value[T any] struct {
	New  func() T
	once sync.Once
	v    T
}

// Get returns the value, making it first if no Get has.
func (l *Value[T]) Get() T {
	l.once.Do(func() { l.v = l.New() })
	return l.v
}
