package lazy

import (
	"sync"
	"sync/atomic"
	"testing"
)

var made atomic.Int32

// counted is a package variable, as Values are meant to be: initialised
// by the linker, with no code at package initialisation.
var counted = Value[int]{New: func() int { return int(made.Add(1)) * 10 }}

// TestValue makes the value once, whatever the number of Gets at once.
func TestValue(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]int, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = counted.Get()
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g != 10 {
			t.Errorf("Get %d = %d, want 10", i, g)
		}
	}
	if n := made.Load(); n != 1 {
		t.Errorf("New ran %d times, want 1", n)
	}
}

// TestGetAllocates nothing once the value is made: Get sits in hot loops
// (a symbol table's hash seed).
func TestGetAllocates(t *testing.T) {
	v := &Value[[]byte]{New: func() []byte { return make([]byte, 8) }}
	v.Get()
	if n := testing.AllocsPerRun(100, func() { v.Get() }); n != 0 {
		t.Errorf("Get allocates %v times a call, want 0", n)
	}
}
