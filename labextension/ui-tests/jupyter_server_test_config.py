"""JupyterLab server for the gokernel UI tests only: no token, no XSRF check (never use this config elsewhere)."""

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined]  # noqa: F821
configure_jupyter_server(c)
# Galata's own REST helpers (test folders, kernels cleanup) send no XSRF token, so galata turns the check off;
# the XSRF handling of /gokernel/ is covered by tests/test_server.py instead.
c.ServerApp.disable_check_xsrf = True
c.IdentityProvider.token = ""
c.ServerApp.open_browser = False
c.ServerApp.ip = "127.0.0.1"
# CI containers often run as root
c.ServerApp.allow_root = True
