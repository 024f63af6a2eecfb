// Package cnb holds the labels Cloud Native Buildpacks images carry (the
// lifecycle's layers and run image record, build and project metadata, the
// builder's metadata) and goldenpath's own build configuration label, as
// types with their parsers. It is a leaf: it imports no other pipeline
// package.
package cnb
