// Package modinstall holds the test that the module installs and imports as
// users get it: served as a version from a file-based module proxy, with
// no replace directives (issue 13, section 2).
package modinstall
