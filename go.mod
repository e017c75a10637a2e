module github.com/modutils/modutils

go 1.26.8

require (
	github.com/klauspost/compress v1.20.3
	github.com/ulikunitz/xz v0.5.17
	golang.org/x/sys v0.49.0
)

replace github.com/klauspost/compress => ./third_party/github.com/klauspost/compress
