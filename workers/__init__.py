"""Background work: RQ jobs that fire timers, deliver e-mail and open quarterly reports.

Jobs are plain functions over the service layer (``workers.jobs``); ``workers.scheduler`` is
the one process that runs them on a schedule, through RQ when ``REDIS_URL`` is set and
directly (embedded mode) when it is not.
"""

QUEUE = "vinhdanh"  # the RQ queue every worker listens on (see the Procfile)
