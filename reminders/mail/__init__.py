"""Email: the templates, the message assembly, the per-group renderer and transports.

Composing is pure (meeting, person and templates in, bytes out); only
``transports`` touches the network or the disk.
"""
