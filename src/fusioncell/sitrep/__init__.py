"""The daily situation report (docs/sitrep.md): for a period and a party's view, the
incidents, advance notifications, open clocks and breaches, disputes, understandings and
the log's checkpoint, read through each capability's own queries as that party; as JSON,
a page and a PDF, with charts drawn on the server as SVG."""
