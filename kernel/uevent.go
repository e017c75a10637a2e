package kernel

import (
	"bytes"
	"errors"
	"strconv"
)

// Uevent is one message of the kernel's NETLINK_KOBJECT_UEVENT stream:
// "ACTION@DEVPATH\0KEY=VALUE\0...". kerneld needs only a few of its keys;
// Env keeps them all for logs and tests.
type Uevent struct {
	Action    string // add, remove, change, bind, ...
	Devpath   string // /devices/pci0000:00/0000:00:03.0
	Subsystem string
	Modalias  string // empty when the device names no driver
	Seqnum    uint64
	Env       map[string]string
}

// ErrBadUevent is a message that is not a kernel uevent: udev's own
// "libudev" messages on group 2, truncated or forged datagrams.
var ErrBadUevent = errors.New("malformed uevent")

// maxUevent bounds what ParseUevent accepts: the kernel's
// UEVENT_BUFFER_SIZE is 2048, so anything much larger is not its.
const maxUevent = 8192

// ParseUevent parses one datagram. The header must agree with the ACTION
// and DEVPATH keys when they are present: a message that says one thing
// in its header and another in its body is not trusted.
func ParseUevent(b []byte) (Uevent, error) {
	var u Uevent
	if len(b) == 0 || len(b) > maxUevent {
		return u, ErrBadUevent
	}
	head, rest, _ := bytes.Cut(b, []byte{0})
	action, devpath, ok := bytes.Cut(head, []byte{'@'})
	if !ok || len(action) == 0 || len(devpath) == 0 || devpath[0] != '/' {
		return u, ErrBadUevent
	}
	u.Action, u.Devpath = string(action), string(devpath)
	u.Env = map[string]string{}
	for len(rest) > 0 {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte{0})
		if len(field) == 0 {
			continue
		}
		k, v, ok := bytes.Cut(field, []byte{'='})
		if !ok || len(k) == 0 {
			return Uevent{}, ErrBadUevent
		}
		u.Env[string(k)] = string(v)
	}
	if a, ok := u.Env["ACTION"]; ok && a != u.Action {
		return Uevent{}, ErrBadUevent
	}
	if d, ok := u.Env["DEVPATH"]; ok && d != u.Devpath {
		return Uevent{}, ErrBadUevent
	}
	u.Subsystem = u.Env["SUBSYSTEM"]
	u.Modalias = u.Env["MODALIAS"]
	if s, ok := u.Env["SEQNUM"]; ok {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return Uevent{}, ErrBadUevent
		}
		u.Seqnum = n
	}
	return u, nil
}
