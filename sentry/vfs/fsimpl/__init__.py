"""Filesystem implementations (core never imports these; rootfs.py wires them)."""
