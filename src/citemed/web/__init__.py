"""The web front end: server-rendered answer pages and the JSON API (`create_app`)."""
