"""One view per sidebar page; a page starts core work through ``desktop_app.workers``, never by hand."""
