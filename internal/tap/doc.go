// Package tap is the core of a tap on a hutong link, without HTTP: plain Go
// values in, plain Go values out.
package tap
