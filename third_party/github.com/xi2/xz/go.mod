module github.com/xi2/xz

go 1.21
