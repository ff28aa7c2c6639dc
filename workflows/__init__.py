"""Engine and domain of vinhdanh: routes, persistence and the service layer.

Nothing in this package imports Flask, RQ or Redis; the web app and the
workers call :mod:`workflows.services`.
"""
