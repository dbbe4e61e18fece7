"""Helpers the tests share: real servers on 127.0.0.1 and the units of work as commands run them."""
