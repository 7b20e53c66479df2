"""The Sentry's virtual file system: core (mounts, dentries, path walk, file descriptions).

Core modules never import a filesystem implementation (sentry/vfs/fsimpl/*); they are
wired together by sentry/vfs/rootfs.py.
"""
